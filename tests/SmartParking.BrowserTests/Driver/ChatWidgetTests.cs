using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Driver;

/// <summary>The assistant's widget on the driver site: a conversation with buttons, by mouse and by keyboard, and on a phone.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ChatWidgetTests(BrowserHost host)
{
    /// <summary>The assistant answers within the test's patience even on a busy machine.</summary>
    private static readonly LocatorAssertionsToContainTextOptions Answer = new() { Timeout = 20_000 };

    [Fact]
    public async Task ChatWidget_VisitorSaysHelloAndFindsParking_SeesGreetingButtonsAndReserveChoices()
    {
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        var chat = await ChatPanel.OpenAsync(page);
        var log = chat.GetByRole(AriaRole.Log);

        await chat.GetByLabel("Message").FillAsync("hello");
        await chat.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();

        await Expect(log).ToContainTextAsync("Hi! I can find parking", Answer);
        await Expect(log.GetByRole(AriaRole.Button, new() { Name = "Prices", Exact = true })).ToBeVisibleAsync();
        await log.GetByRole(AriaRole.Button, new() { Name = "Find parking", Exact = true }).ClickAsync();
        // The button speaks for the visitor with its title; the assistant gets its payload.
        await Expect(log.Locator("li[data-author=you]").Last).ToContainTextAsync("Find parking");
        await Expect(log.Locator("li[data-author=assistant]").Last).ToContainTextAsync("Where would you like to park?", Answer);
        await Expect(log.GetByRole(AriaRole.Button, new() { Name = "Find parking", Exact = true })).ToHaveCountAsync(0);

        await chat.GetByLabel("Message").FillAsync("Aarhus Cathedral");
        await chat.GetByLabel("Message").PressAsync("Enter");

        var results = log.Locator("li[data-author=assistant]").Last;
        await Expect(results).ToContainTextAsync("Free parking near", Answer);
        await Expect(results.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Reserve at ") }).First).ToBeVisibleAsync();
        // One lot a line, as the assistant wrote it.
        (await results.Locator(".chat-text").InnerTextAsync()).ShouldContain("\n1. ");
        await watched.ScreenshotAsync("chat-widget");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task ChatWidget_KeyboardOnly_OpensChoosesAButtonAndClosesWithEscape()
    {
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await ChatPanel.ReadyAsync(page);
        var opener = page.GetByRole(AriaRole.Button, new() { Name = "Chat", Exact = true });

        await KeyboardOnly.TabToAsync(page, opener);
        await page.Keyboard.PressAsync("Enter");
        var chat = page.GetByRole(AriaRole.Dialog, new() { Name = "SmartParking assistant" });
        var input = chat.GetByLabel("Message");
        await Expect(input).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("hello");
        await page.Keyboard.PressAsync("Enter");
        var prices = chat.GetByRole(AriaRole.Button, new() { Name = "Prices", Exact = true });
        await Expect(prices).ToBeVisibleAsync(new() { Timeout = 20_000 });
        // The offered choices come before the text box: back a few steps with Shift+Tab.
        for (var i = 0; i < 6 && !await prices.EvaluateAsync<bool>("e => e === document.activeElement"); i++) await page.Keyboard.PressAsync("Shift+Tab");
        await Expect(prices).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(chat.GetByRole(AriaRole.Log).Locator("li[data-author=you]").Last).ToContainTextAsync("Prices");
        await Expect(input).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(chat).ToBeHiddenAsync();
        await Expect(opener).ToBeFocusedAsync();
        await Expect(opener).ToHaveAttributeAsync("aria-expanded", "false");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task ChatWidget_PhoneWidth_OpenerCoversNoSearchControlAndPanelTakesTheWidth()
    {
        await using var watched = await host.OpenAsync("/", new ViewportSize { Width = 390, Height = 844 });
        var page = watched.Page;
        await Circuit.InteractiveAsync(page, ".driver");
        await ChatPanel.ReadyAsync(page);
        var opener = await page.GetByRole(AriaRole.Button, new() { Name = "Chat", Exact = true }).BoundingBoxAsync();

        foreach (var control in new[]
                 {
                     page.GetByLabel("Where do you want to park?"), page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }),
                     page.GetByRole(AriaRole.Button, new() { Name = "Use my location" }),
                 })
        {
            var box = await control.BoundingBoxAsync();
            Overlaps(opener!, box!).ShouldBeFalse($"the Chat button covers {await control.EvaluateAsync<string>("e => e.outerHTML.slice(0, 80)")}");
        }
        var chat = await ChatPanel.OpenAsync(page);
        var panel = await chat.BoundingBoxAsync();
        panel!.X.ShouldBe(0f);
        panel.Width.ShouldBe(390f, 1d);
        await page.Keyboard.PressAsync("Escape");
        await Expect(chat).ToBeHiddenAsync();
        watched.ShouldHaveNoErrors();
    }

    private static bool Overlaps(LocatorBoundingBoxResult a, LocatorBoundingBoxResult b) =>
        a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height;
}
