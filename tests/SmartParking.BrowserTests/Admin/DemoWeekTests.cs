using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Admin;

/// <summary>A server seeded as a first run is (a week of history, nothing else touched), for what a new operator sees first.</summary>
public sealed class DemoWeekHost : BrowserHost
{
    protected override IReadOnlyList<string> ServerArguments => ["--Demo:HistoryDays", "7"];
}

[CollectionDefinition(Name)]
public sealed class DemoWeekCollection : ICollectionFixture<DemoWeekHost>
{
    public const string Name = "demo-week";
}

/// <summary>
/// The dashboard on a first run: the seeded week fills the charts, the price history and the tables, so an operator
/// sees the platform working before a single sensor of theirs reports. These pages are the README's screenshots.
/// </summary>
[Collection(DemoWeekCollection.Name)]
public sealed class DemoWeekTests(DemoWeekHost host)
{
    [Fact]
    public async Task Dashboard_FirstRun_ChartsPriceHistoryAndTablesShowTheDemoWeek()
    {
        await using var watched = await host.OpenAsync("/", new ViewportSize { Width = 1280, Height = 1000 });
        var page = watched.Page;
        await WebSignIn.AsDemoOperatorAsync(page, host.Server.Credentials);

        await page.GotoAsync("/admin");
        await Circuit.InteractiveAsync(page);
        await Expect(page.GetByTestId("occupancy-chart").Locator("polyline").First).ToBeAttachedAsync();
        await Expect(page.GetByTestId("revenue-chart").Locator("polyline").First).ToBeAttachedAsync();
        await Expect(page.GetByTestId("revenue-chart")).Not.ToContainTextAsync("No data");
        await watched.ScreenshotAsync("admin-overview", fullPage: true);

        await page.GotoAsync("/admin/pricing");
        await Circuit.InteractiveAsync(page);
        await page.GetByLabel("Lot", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Bruuns Galleri" });
        // The form and history are the chosen lot's (its base rate is 27), even when picked while the first lot loads.
        await Expect(page.GetByText("(empty: the lot's 27.00 DKK)")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("price-chart").Locator("polyline").First).ToBeAttachedAsync();
        // Every hour of the week has a step with the engine's reason for it.
        await Expect(page.Locator("[data-table=price-history] td[data-column=rule]").First).ToHaveTextAsync(new Regex("^(above|below|in)_band$"));
        await Expect(page.Locator("[data-table=price-history]").GetByTestId("table-range")).ToHaveTextAsync(new Regex("of 16[78]$")); // 7 days of hours, the oldest maybe just outside
        await watched.ScreenshotAsync("admin-pricing", fullPage: true);

        await page.GotoAsync("/admin/reservations");
        await Circuit.InteractiveAsync(page);
        var first = page.Locator("[data-table=reservations] tbody tr").First;
        await Expect(first.Locator("td[data-column=status]")).ToHaveTextAsync("completed");
        await Expect(first.Locator("td[data-column=lotId]")).Not.ToHaveTextAsync(new Regex("^[0-9a-f]{8}-")); // the lot's name, not its id
        await watched.ScreenshotAsync("admin-reservations");
        watched.ShouldHaveNoErrors();
    }
}
