using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using SmartParking.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Admin;

/// <summary>The demo operator manages lots, spaces, sensors and pricing events through the dashboard's forms.</summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ManageTests(BrowserHost host)
{
    /// <summary>Signs the demo operator in through the web form (password and TOTP) and opens <paramref name="path"/>.</summary>
    private async Task<WatchedPage> SignedInOperatorAsync(string path)
    {
        var watched = await host.OpenAsync("/");
        await WebSignIn.AsDemoOperatorAsync(watched.Page, host.Server.Credentials);
        await watched.Page.GotoAsync(path);
        return watched;
    }

    [Fact]
    public async Task NewLotForm_ValidFields_LotIsListedInLotsTable()
    {
        await using var watched = await SignedInOperatorAsync("/admin/lots/new");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page);
        var name = "Form Garage " + Guid.NewGuid().ToString("N")[..6];

        // An empty name and a bad number are named beside their fields, and nothing is created.
        await page.GetByLabel("Latitude").FillAsync("north");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create lot" }).ClickAsync();
        await Expect(page.Locator("[data-field='latitude'][role='alert']")).ToContainTextAsync("must be a number");

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Street").FillAsync("Formvej 2");
        await page.GetByLabel("City", new() { Exact = true }).FillAsync("Aarhus");
        await page.GetByLabel("Latitude").FillAsync("56.1501");
        await page.GetByLabel("Longitude").FillAsync("10.2001");
        await page.GetByLabel("Base hourly rate").FillAsync("18.50");
        await page.GetByLabel("standard spaces").FillAsync("40");
        // Opening hours: a row per day; a time that is not HH:mm is named on its own row.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add opening hours" }).ClickAsync();
        await page.GetByLabel("Opens (HH:mm)").FillAsync("7am");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create lot" }).ClickAsync();
        await Expect(page.Locator("[data-field='openingHours[0].opens'][role='alert']")).ToContainTextAsync("HH:mm");
        await page.GetByLabel("Opens (HH:mm)").FillAsync("06:30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create lot" }).ClickAsync();
        await Expect(page.GetByTestId("lot-status")).ToContainTextAsync($"Lot {name} created");
        await Expect(page.GetByLabel("Opens (HH:mm)")).ToHaveValueAsync("06:30");
        await Expect(page.GetByLabel("Day", new() { Exact = true })).ToHaveValueAsync("mon");
        await watched.ScreenshotAsync("admin-lot-edit");

        await page.GotoAsync("/admin/lots");
        await Circuit.InteractiveAsync(page);
        await page.GetByLabel("Search lots").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        await Expect(page.Locator("table.data-table tbody tr").First.Locator("td[data-column='name']")).ToHaveTextAsync(name);
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task LotPage_MarkSpaceOutOfService_RowShowsOutOfService()
    {
        var device = await host.Api.LotWithOneSensorAsync("Service Garage " + Guid.NewGuid().ToString("N")[..6], 56.1520, 10.2050);
        await using var watched = await SignedInOperatorAsync($"/admin/lots/{device.LotId}");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page);
        var row = page.Locator($"tr[data-row-key='{device.SpaceId}']");
        await Expect(row.Locator("td[data-column='outOfService']")).ToHaveTextAsync("no");

        await row.GetByRole(AriaRole.Button, new() { Name = "Mark out of service" }).ClickAsync();
        await Expect(row.Locator("td[data-column='status']")).ToHaveTextAsync(new Regex("out.of.service"));
        await Expect(row.Locator("td[data-column='outOfService']")).ToHaveTextAsync("yes");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Back in service" })).ToBeVisibleAsync();

        await row.GetByRole(AriaRole.Button, new() { Name = "Back in service" }).ClickAsync();
        await Expect(row.Locator("td[data-column='outOfService']")).ToHaveTextAsync("no");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task SensorPage_AfterMqttReading_ShowsReadingInHistory()
    {
        var device = await host.Api.LotWithOneSensorAsync("Sensor Garage " + Guid.NewGuid().ToString("N")[..6], 56.1530, 10.2060);
        await host.Api.PublishAsync(device, "occupied");
        var sensor = await host.Api.SendAsync(HttpMethod.Get, $"/api/v1/manage/sensors?q={device.Serial}");
        var sensorId = sensor.GetProperty("items")[0].GetProperty("id").GetGuid();

        await using var watched = await SignedInOperatorAsync($"/admin/sensors/{sensorId}");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page);
        await Expect(page.GetByTestId("sensor-facts")).ToContainTextAsync(device.Serial);
        // The pipeline writes readings in batches: Refresh asks again, each look auto-waiting a little, until the row is there.
        var firstStatus = page.GetByTestId("sensor-readings").Locator("td[data-column='status']").First;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
            try
            {
                await Expect(firstStatus).ToHaveTextAsync("occupied", new() { Timeout = 2_000 });
                break;
            }
            catch (PlaywrightException) when (DateTimeOffset.UtcNow < deadline)
            {
            }
        }
        await Expect(page.GetByTestId("sensor-chart").Locator("svg")).ToBeVisibleAsync();
        await page.GetByLabel("Window").SelectOptionAsync("7d");
        await Expect(page.GetByTestId("sensor-readings").Locator("tbody tr")).ToHaveCountAsync(1);
        await watched.ScreenshotAsync("admin-sensor");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task PricingEventsForm_ValidEvent_IsListed()
    {
        await using var watched = await SignedInOperatorAsync("/admin/pricing/events");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page);
        var name = "Concert " + Guid.NewGuid().ToString("N")[..6];

        await page.GetByLabel("Event name").FillAsync(name);
        await page.GetByLabel("Starts").FillAsync("2030-06-01T18:00");
        await page.GetByLabel("Ends").FillAsync("2030-06-01T17:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create event" }).ClickAsync();
        await Expect(page.Locator("[data-field='endsAt'][role='alert']")).ToContainTextAsync("must be after startsAt");

        await page.GetByLabel("Ends").FillAsync("2030-06-01T23:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create event" }).ClickAsync();
        await Expect(page.GetByTestId("event-status")).ToHaveTextAsync($"Event {name} created.");
        await Expect(page.GetByTestId("pricing-events").Locator("tr", new() { HasText = name })).ToContainTextAsync("1.5×");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Users_AdminMakesADriverAnOperatorOfATenantPickedByName_RoleIsSaved()
    {
        var email = $"new-op-{Guid.NewGuid().ToString("N")[..10]}@example.com";
        await host.Api.SendAsync(HttpMethod.Post, "/api/v1/auth/register", new { email, password = "Operator-To-Be-2026", displayName = "Operator to be" }, token: "");
        var demo = host.Server.Credentials;
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsDemoAdminAsync(page, demo);
        await page.GotoAsync("/admin/users");
        await Circuit.InteractiveAsync(page);
        await page.GetByLabel("Search users").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        var row = page.Locator("table.data-table tbody tr", new() { HasText = email });
        await Expect(row.Locator("td[data-column='role']")).ToHaveTextAsync("driver");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Change role of {email}" }).ClickAsync();
        await row.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("operator");
        await row.GetByLabel("Tenant").SelectOptionAsync(new SelectOptionValue { Label = "Aarhus Parking" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Save role" }).ClickAsync();
        await Expect(page.GetByTestId("action-message")).ToHaveTextAsync($"{email} is now operator; their sign-ins must start again.");
        await Expect(row.Locator("td[data-column='role']")).ToHaveTextAsync("operator");
        watched.ShouldHaveNoErrors();
    }
}
