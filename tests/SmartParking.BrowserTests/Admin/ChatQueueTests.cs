using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Admin;

/// <summary>
/// Hand-over to a person end to end in two browsers: a signed-in driver asks in the widget, the dashboard's chat queue
/// shows it live, and the answer, the driver's reply and the closing reach the other side without a reload.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ChatQueueTests(BrowserHost host)
{
    private static readonly LocatorAssertionsToContainTextOptions Live = new() { Timeout = 30_000 };

    [Fact]
    public async Task ChatQueue_DriverAsksForPerson_OperatorSeesItLiveAnswersAndClosesAndEachSideSeesTheOtherLive()
    {
        var demo = host.Server.Credentials;
        // The demo driver's chat concerns no lot, so it goes to the platform's staff: the admin's queue.
        await using var desk = await host.OpenAsync("/account/login");
        await WebSignIn.AsDemoAdminAsync(desk.Page, demo);
        await desk.Page.GotoAsync("/admin/chat");
        await Circuit.InteractiveAsync(desk.Page);
        await using var driver = await host.OpenAsync("/account/login");
        await WebSignIn.AsDemoDriverAsync(driver.Page, demo);
        await driver.Page.GotoAsync("/");
        foreach (var page in new[] { desk.Page, driver.Page }) await page.EvaluateAsync("() => { window.__noReload = true; }");
        var chat = await ChatPanel.OpenAsync(driver.Page);
        var driverLog = chat.GetByRole(AriaRole.Log);

        await chat.GetByLabel("Message").FillAsync("I want to talk to a real person please");
        await chat.GetByLabel("Message").PressAsync("Enter");

        await Expect(driverLog).ToContainTextAsync("I've asked a person", Live);
        await Expect(driverLog.GetByRole(AriaRole.Button, new() { Name = "Back to the assistant" })).ToBeVisibleAsync();
        // Moving to another page of the site keeps the open chat, and it keeps listening.
        await driver.Page.GetByRole(AriaRole.Link, new() { Name = "My parking" }).ClickAsync();
        await Circuit.InteractiveAsync(driver.Page, ".my-parking");
        await Expect(driverLog).ToContainTextAsync("I've asked a person");
        var asked = desk.Page.GetByTestId("chat-queue").Locator("tr", new() { HasText = "I want to talk to a real person please" });
        await Expect(asked.Locator("td[data-column=status]")).ToContainTextAsync("waiting", Live);
        // The row by its chat, as its latest words change.
        var row = desk.Page.Locator($"tr[data-handoff-id='{await asked.GetAttributeAsync("data-handoff-id")}']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        var thread = desk.Page.GetByTestId("thread-messages");
        await Expect(thread.Locator("li[data-author=driver]").Last).ToContainTextAsync("I want to talk to a real person please");

        await desk.Page.GetByLabel("Your answer to the driver").FillAsync("Hello, this is Sara from SmartParking.\nHow can I help?");
        await desk.Page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();

        await Expect(desk.Page.GetByTestId("action-message")).ToHaveTextAsync("Sent to the driver.");
        var fromStaff = driverLog.Locator("li[data-author=operator]").Last;
        await Expect(fromStaff).ToContainTextAsync("Hello, this is Sara from SmartParking.", Live);
        (await fromStaff.Locator(".chat-text").InnerTextAsync()).ShouldBe("Hello, this is Sara from SmartParking.\nHow can I help?");

        await chat.GetByLabel("Message").FillAsync("My ticket machine ate my card");
        await chat.GetByLabel("Message").PressAsync("Enter");

        await Expect(thread.Locator("li[data-author=driver]").Last).ToContainTextAsync("My ticket machine ate my card", Live);
        // A message for the person gets no reply from the assistant, so its way back stays on offer.
        await Expect(driverLog.GetByRole(AriaRole.Button, new() { Name = "Back to the assistant" })).ToBeVisibleAsync();
        await Expect(row.Locator("td[data-column=status]")).ToContainTextAsync("answered");
        await desk.ScreenshotAsync("chat-queue");
        await desk.Page.GetByRole(AriaRole.Button, new() { Name = "Close chat" }).ClickAsync();

        await Expect(desk.Page.GetByTestId("action-message")).ToContainTextAsync("Chat closed");
        await Expect(row).ToHaveCountAsync(0);
        await Expect(driverLog.Locator("li").Last).ToContainTextAsync("The operator has closed this chat", Live);
        foreach (var page in new[] { desk.Page, driver.Page }) (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue();
        desk.ShouldHaveNoErrors();
        driver.ShouldHaveNoErrors();
    }
}
