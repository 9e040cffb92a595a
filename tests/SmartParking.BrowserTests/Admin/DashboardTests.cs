using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Admin;

/// <summary>The operator dashboard: TOTP sign-in, live overview, the pricing editor feeding the driver page, tenant walls.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardTests(BrowserHost host)
{
    private static readonly LocatorAssertionsToHaveTextOptions Live = new() { Timeout = 10_000 };

    [Fact]
    public async Task Overview_SensorReadingOverMqtt_ChangesTheLotsCountWithoutReload()
    {
        var device = await host.Api.LotWithOneSensorAsync("Dashboard Live Garage", 56.1590, 10.2050);
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsDemoOperatorAsync(page, host.Server.Credentials);
        await page.GotoAsync("/admin");
        await Circuit.InteractiveAsync(page);
        var row = page.Locator($"tr[data-lot-id='{device.LotId}']");
        await Expect(row.GetByRole(AriaRole.Link)).ToHaveTextAsync("Dashboard Live Garage");
        await page.EvaluateAsync("() => { window.__noReload = true; }");

        await host.Api.PublishAsync(device, "free");
        await Expect(row.GetByTestId("lot-free")).ToHaveTextAsync("1", Live);
        await host.Api.PublishAsync(device, "occupied");
        await Expect(row.GetByTestId("lot-free")).ToHaveTextAsync("0", Live);

        (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue();
        await Expect(page.GetByTestId("summary-pdf")).ToBeVisibleAsync();
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task PricingEditor_OperatorRaisesTheBaseRate_DriverPageShowsTheNewPrice()
    {
        var device = await host.Api.LotWithOneSensorAsync("Policy Test Garage", 56.1610, 10.1990, hourlyRate: 20m);
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsDemoOperatorAsync(page, host.Server.Credentials);
        await page.GotoAsync($"/admin/pricing?lotId={device.LotId}");
        await Circuit.InteractiveAsync(page);
        await Expect(page.GetByLabel("Lot", new() { Exact = true })).ToHaveValueAsync(device.LotId.ToString());

        // A bad value is refused field by field, with the API's own rule.
        await page.GetByLabel("Largest rise per update (%)", new() { Exact = true }).FillAsync("80");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Expect(page.Locator("[data-field=maxRaisePercent]")).ToContainTextAsync("at most +50%");

        await page.GetByLabel("Largest rise per update (%)", new() { Exact = true }).FillAsync("50");
        await page.GetByLabel(new Regex("^Base rate per hour")).FillAsync("40");
        await page.GetByLabel("Peak factor (×)", new() { Exact = true }).FillAsync("1");
        await page.GetByLabel("Off-peak factor (×)").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Expect(page.GetByTestId("policy-status")).ToContainTextAsync("Saved");
        await Expect(page.GetByTestId("price-now")).ToHaveTextAsync("40.00 DKK/h");
        await Expect(page.Locator("[data-table=price-history] td[data-column=rule]").First).ToHaveTextAsync("policy_changed");

        // The driver sees it: prices reach every node's availability model through a database notification.
        var lot = page.Locator($"li[data-lot-id='{device.LotId}'] [data-testid=price-now]");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        do
        {
            await page.GotoAsync("/?q=56.1610%2C10.1990");
            await Expect(lot).ToBeVisibleAsync();
        }
        while (await lot.InnerTextAsync() != "40.00 DKK/h" && DateTime.UtcNow < deadline);
        await Expect(lot).ToHaveTextAsync("40.00 DKK/h");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task OperatorOfAnotherTenant_SeesNeitherPagesNorExportsOfThisTenant()
    {
        var mine = await host.Api.LotWithOneSensorAsync("Tenant A Garage", 56.1620, 10.2150);
        var other = await host.Api.OtherTenantWithLotAsync("Other City");
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsAsync(page, other.OperatorEmail, other.OperatorPassword, other.OperatorTotpKey);

        await page.GotoAsync("/admin");
        await Circuit.InteractiveAsync(page);
        await Expect(page.Locator($"tr[data-lot-id='{other.LotId}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"tr[data-lot-id='{mine.LotId}']")).ToHaveCountAsync(0);
        (await page.Locator("tr[data-lot-id]").CountAsync()).ShouldBe(1);

        await page.GotoAsync($"/admin/pricing?lotId={mine.LotId}");
        await Circuit.InteractiveAsync(page);
        await Expect(page.GetByLabel("Lot", new() { Exact = true })).ToHaveValueAsync(other.LotId.ToString());
        await Expect(page.GetByLabel("Lot", new() { Exact = true }).Locator("option")).ToHaveCountAsync(1);

        foreach (var path in new[] { $"/admin/exports/spaces?format=csv&lotId={mine.LotId}", $"/admin/exports/price-history?format=csv&lotId={mine.LotId}" })
            (await watched.Context.APIRequest.GetAsync(path)).Status.ShouldBe(404, path);
        var lots = await (await watched.Context.APIRequest.GetAsync("/admin/exports/lots?format=csv")).TextAsync();
        lots.ShouldContain(other.LotName);
        lots.ShouldNotContain("Tenant A Garage");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Dashboard_DriverOrSignedOut_IsKeptOut()
    {
        await using var watched = await host.OpenAsync("/admin");
        var page = watched.Page;
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        (await watched.Context.APIRequest.GetAsync("/admin/exports/lots?format=csv", new() { MaxRedirects = 0 })).Status.ShouldBe(302);

        var demo = host.Server.Credentials;
        await WebSignIn.AsDemoDriverAsync(page, demo);
        await page.GotoAsync("/admin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You cannot open that page" })).ToBeVisibleAsync();
        (await watched.Context.APIRequest.GetAsync("/admin/exports/lots?format=csv", new() { MaxRedirects = 0 })).Status.ShouldBe(302);
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Lots_KeyboardOnly_SortsPagesAndOpensAnExport()
    {
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsDemoOperatorAsync(page, host.Server.Credentials);
        await page.GotoAsync("/admin/lots");
        await Circuit.InteractiveAsync(page);
        var nameHeader = page.Locator("[data-table=lots] th").Filter(new() { HasText = "Name" }).First;
        await Expect(nameHeader).ToHaveAttributeAsync("aria-sort", "ascending");
        var firstCell = page.Locator("[data-table=lots] tbody tr").First.Locator("td").First;
        var firstBefore = await firstCell.InnerTextAsync();

        await KeyboardOnly.TabToAsync(page, nameHeader.GetByRole(AriaRole.Button));
        await page.Keyboard.PressAsync("Enter");
        await Expect(nameHeader).ToHaveAttributeAsync("aria-sort", "descending");
        // The header and the rows arrive in separate renders (the rows wait for the query): poll the rows.
        await Expect(firstCell).Not.ToHaveTextAsync(firstBefore);

        await KeyboardOnly.TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Next page" }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("table-range")).ToContainTextAsync("Rows 26–");

        var download = await page.RunAndWaitForDownloadAsync(async () =>
        {
            await KeyboardOnly.TabToAsync(page, page.GetByTestId("export-xlsx"));
            await page.Keyboard.PressAsync("Enter");
        });
        download.SuggestedFilename.ShouldEndWith(".xlsx");
        watched.ShouldHaveNoErrors();
    }
}
