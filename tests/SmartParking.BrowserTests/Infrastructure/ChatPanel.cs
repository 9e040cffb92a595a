using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>The assistant's chat widget in the driver site's header.</summary>
public static class ChatPanel
{
    /// <summary>The widget's circuit is up (it renders data-chat-ready, apart from the page's data-interactive).</summary>
    public static Task ReadyAsync(IPage page) =>
        Expect(page.Locator("[data-chat-ready='true']")).ToBeVisibleAsync(new() { Timeout = 30_000 });

    /// <summary>Opens the panel with the Chat button; the text box has the focus.</summary>
    public static async Task<ILocator> OpenAsync(IPage page)
    {
        await ReadyAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Chat", Exact = true }).ClickAsync();
        var chat = page.GetByRole(AriaRole.Dialog, new() { Name = "SmartParking assistant" });
        await Expect(chat).ToBeVisibleAsync();
        await Expect(chat.GetByLabel("Message")).ToBeFocusedAsync();
        return chat;
    }
}
