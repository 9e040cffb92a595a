using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Admin;

/// <summary>The Alerts page: an alert the rules raise shows without a reload, and acknowledging it shows who and when.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AlertsPageTests(BrowserHost host)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Live = new() { Timeout = 30_000 };

    [Fact]
    public async Task AlertsPage_LowBatteryReported_AlertAppearsLiveAndAcknowledgingShowsWhoAndWhen()
    {
        var device = await host.Api.LotWithOneSensorAsync("Alert Test Garage", 56.1640, 10.2010);
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsDemoOperatorAsync(page, host.Server.Credentials);
        await page.GotoAsync("/admin/alerts");
        await Circuit.InteractiveAsync(page);
        await page.GetByLabel("Kind").SelectOptionAsync("low_battery");
        await page.EvaluateAsync("() => { window.__noReload = true; }");

        await host.Api.PublishHeartbeatAsync(device, 7);

        var row = page.Locator("tr", new() { HasText = "Alert Test Garage" });
        await Expect(row).ToBeVisibleAsync(Live);
        await Expect(row.Locator("td[data-column=detail]")).ToContainTextAsync($"{device.Serial} (7 %)");
        await Expect(row.Locator("td[data-column=status]")).ToHaveTextAsync("open");

        await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();

        await Expect(row.Locator("td[data-column=status]")).ToHaveTextAsync("acknowledged");
        await Expect(row.Locator("td[data-column=acknowledgedByName]")).ToHaveTextAsync(host.Server.Credentials.OperatorEmail);
        await Expect(row.Locator("td[data-column=acknowledgedAt]")).Not.ToBeEmptyAsync();
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" })).ToHaveCountAsync(0);
        (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue();
        watched.ShouldHaveNoErrors();
    }
}
