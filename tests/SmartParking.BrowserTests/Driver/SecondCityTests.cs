using System.Globalization;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Driver;

/// <summary>The driver app in a second city set up through the API: Melbourne's places, time zone, money and rules.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SecondCityTests(BrowserHost host)
{
    [Fact]
    public async Task Search_InMelbourne_PlacesArrivalPricesAndRulesAreMelbournes()
    {
        var (slug, bay) = await host.Api.MelbourneAsync();
        await host.Api.PublishAsync(bay, "free");
        await using var watched = await host.OpenAsync($"/?city={slug}");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page, ".driver");

        // The hint names the city's own places, and its alias finds the station.
        await Expect(page.Locator("#search-hint")).ToContainTextAsync("Flinders Street Station");
        await page.GetByLabel("Where do you want to park?").FillAsync("Flinders St");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToContainTextAsync("near Flinders Street Station");
        var result = page.Locator($"li[data-lot-id='{bay.LotId}']");
        await Expect(result.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Flinders Street bays");
        await Expect(result.Locator("[data-testid=free-count]")).ToHaveTextAsync("1", new() { Timeout = 10_000 });
        await Expect(result.Locator("[data-testid=price-now]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"AUD/h$"));
        await Expect(result).ToContainTextAsync("2P");
        await Expect(page.GetByText("Arrive (local time, Australia/Melbourne)")).ToBeVisibleAsync();

        // The default arrival is today's next quarter hour in Melbourne, wherever the browser and the server are.
        var melbourneNow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Australia/Melbourne"));
        var arrival = DateTime.ParseExact(await page.GetByLabel("Arrive (local time, Australia/Melbourne)").InputValueAsync(), "yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
        (arrival - melbourneNow.DateTime).ShouldBeInRange(TimeSpan.FromMinutes(-1), TimeSpan.FromMinutes(16));
        await Expect(result.Locator("[data-testid=quote]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d\d AUD"));

        await watched.ScreenshotAsync("driver-search-second-city");
        watched.ShouldHaveNoErrors();
    }
}
