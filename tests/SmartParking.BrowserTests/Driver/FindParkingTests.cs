using System.Globalization;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Driver;

/// <summary>The driver search page at / against the real server and the demo city.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FindParkingTests(BrowserHost host)
{
    private static readonly LocatorAssertionsToHaveTextOptions Live = new() { Timeout = 10_000 };

    /// <summary>The circuit is connected and the interactive controls work (the page sets this after its first interactive render).</summary>
    private static async Task MapReadyIfAvailableAsync(IPage page)
    {
        // With Leaflet served (see LeafletPackage) the map must really draw: markers for the results.
        if (LeafletPackage.Dist is not null)
            await Expect(page.Locator(".map-canvas .leaflet-interactive").First).ToBeVisibleAsync(new() { Timeout = 15_000 });
    }

    private static double Meters(string text)
    {
        var parts = text.Trim().Split(' ');
        var value = double.Parse(parts[0], CultureInfo.InvariantCulture);
        return parts[1] == "km" ? value * 1000 : value;
    }

    [Fact]
    public async Task Search_NamedPlace_ShowsDemoLotsNearestFirst()
    {
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page, ".driver");

        await page.GetByLabel("Where do you want to park?").FillAsync("Aarhus Cathedral");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToContainTextAsync("near Aarhus Cathedral");
        var items = page.Locator("ul.result-list > li[data-lot-id]");
        await Expect(items.First).ToBeVisibleAsync();
        (await items.CountAsync()).ShouldBeGreaterThan(3);
        var distances = (await page.Locator("[data-testid=distance]").AllInnerTextsAsync()).Select(Meters).ToList();
        distances.ShouldBe(distances.Order().ToList());
        distances[0].ShouldBeLessThan(1000);
        await Expect(page.Locator("[data-testid=price-now]").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d\d DKK/h$"));
        // Quotes come after the list (a live count may draw the list first): waited for, not read at once.
        await Expect(page.Locator("[data-testid=quote]").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d\d DKK"));
        await MapReadyIfAvailableAsync(page);
        await watched.ScreenshotAsync("driver-search-desktop");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task FreeCount_SensorPublishesOverMqtt_UpdatesOnTheOpenPageWithoutReload()
    {
        var device = await host.Api.LotWithOneSensorAsync("Browser Test Garage", 56.1570, 10.2110);
        await WaitForLotInAvailabilityAsync(device.LotId);
        await using var watched = await host.OpenAsync("/?q=56.1570%2C10.2110");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page, ".driver");
        var lot = page.Locator($"li[data-lot-id='{device.LotId}']");
        await Expect(lot.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Browser Test Garage");
        await Expect(lot.GetByText("EV charging")).ToBeVisibleAsync();
        // The page must stay the same document: a reload would lose this marker.
        await page.EvaluateAsync("() => { window.__noReload = true; }");

        await host.Api.PublishAsync(device, "free");
        await Expect(lot.Locator("[data-testid=free-count]")).ToHaveTextAsync("1", Live);
        await host.Api.PublishAsync(device, "occupied");
        await Expect(lot.Locator("[data-testid=free-count]")).ToHaveTextAsync("0", Live);

        (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue();
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Search_PhoneViewport_WorksWithoutHorizontalScrolling()
    {
        await using var watched = await host.OpenAsync("/", new ViewportSize { Width = 390, Height = 844 });
        var page = watched.Page;
        await Circuit.InteractiveAsync(page, ".driver");

        await page.GetByLabel("Where do you want to park?").FillAsync("Dokk1");
        await page.GetByLabel("Where do you want to park?").PressAsync("Enter");

        await Expect(page.Locator("ul.result-list > li[data-lot-id]").First).ToBeVisibleAsync();
        await MapReadyIfAvailableAsync(page);
        (await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")).ShouldBeTrue();
        await watched.ScreenshotAsync("driver-search-phone");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Search_KeyboardOnly_ReachesTheFirstResultsControls()
    {
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await Circuit.InteractiveAsync(page, ".driver");

        await KeyboardOnly.TabUntilAsync(page, "() => document.activeElement?.id === 'place-search'");
        await page.Keyboard.TypeAsync("ARoS");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToContainTextAsync("near ARoS");

        await KeyboardOnly.TabUntilAsync(page, "() => !!document.activeElement?.closest('ul.result-list > li[data-lot-id]:first-child')");
        (await page.EvaluateAsync<string>("() => document.activeElement.tagName")).ShouldBeOneOf("A", "BUTTON");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Search_BeforeTheCircuit_WorksAsAPlainGetForm()
    {
        // The prerendered answer to ?q= alone: what a browser shows before (or without) the websocket.
        await using var watched = await host.OpenAsync("/?q=Aarhus+Central+Station&type=standard");
        var page = watched.Page;

        await Expect(page.Locator("ul.result-list > li[data-lot-id]").First).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Space type")).ToHaveValueAsync("standard");
        await Circuit.InteractiveAsync(page, ".driver");
        watched.ShouldHaveNoErrors();
    }

    /// <summary>A new lot reaches the availability model through the catalogue notice, a moment after it is created.</summary>
    private async Task WaitForLotInAvailabilityAsync(Guid lotId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                await host.Api.SendAsync(HttpMethod.Get, $"/api/v1/lots/{lotId}/availability");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
