using System.Collections.Concurrent;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests;

/// <summary>
/// Issue 6's "done means": every page works with the keyboard alone and has no console errors. Each page of the app,
/// with the demo city's data and as the role that uses it, is walked with Tab (<see cref="PageAudit"/>).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class EveryPageTests(BrowserHost host, ITestOutputHelper output)
{
    /// <summary>A demo lot (with spaces and sensors) and one of its sensors, for the pages with an id in their path.</summary>
    private const string DemoLot = "Busgadehuset";
    private const string DemoSensor = "AAR-BUSGADEHUSET-0001";

    /// <summary>
    /// Each role signs in once (through the real form, with TOTP where the account has it); every page then opens in
    /// its own context with a copy of those cookies, so one page's state never reaches another's check.
    /// </summary>
    private static readonly ConcurrentDictionary<(Uri Server, string Role), string> SignedIn = new();

    [Theory]
    [InlineData("anonymous", "/")]
    [InlineData("anonymous", "/account/login")]
    [InlineData("anonymous", "/account/register")]
    [InlineData("anonymous", "/account/denied")]
    [InlineData("driver", "/?q=Aarhus+Cathedral")]
    [InlineData("driver", "/me")]
    [InlineData("driver", "/lots/{lot}/reserve")]
    [InlineData("driver", "/lots/{lot}/park")]
    [InlineData("driver", "/account/two-factor")]
    [InlineData("driver", "/account/privacy")]
    [InlineData("anonymous", "/account/deleted")]
    [InlineData("operator", "/admin")]
    [InlineData("operator", "/admin/alerts")]
    [InlineData("admin", "/admin/alerts")]
    [InlineData("operator", "/admin/chat")]
    [InlineData("operator", "/admin/lots")]
    [InlineData("operator", "/admin/lots/new")]
    [InlineData("operator", "/admin/lots/{lot}")]
    [InlineData("operator", "/admin/lots/import")]
    [InlineData("operator", "/admin/analytics/history")]
    [InlineData("operator", "/admin/sensors")]
    [InlineData("operator", "/admin/sensors/{sensor}")]
    [InlineData("operator", "/admin/reservations")]
    [InlineData("operator", "/admin/sessions")]
    [InlineData("operator", "/admin/payments")]
    [InlineData("operator", "/admin/pricing")]
    [InlineData("operator", "/admin/pricing/events")]
    [InlineData("operator", "/admin/pricing/experiments")]
    [InlineData("operator", "/admin/events")]
    [InlineData("operator", "/admin/audit")]
    [InlineData("operator", "/admin/users")]
    [InlineData("admin", "/admin/users")]
    [InlineData("admin", "/admin/tenants")]
    public async Task Page_KeyboardOnly_EveryControlReachableNamedAndFocusVisibleWithoutConsoleErrors(string role, string path)
    {
        await using var watched = await OpenAsync(role, path);

        var audit = await PageAudit.RunAsync(watched.Page);

        ShouldPass(audit, watched, $"{path} as {role}");
    }

    /// <summary>
    /// Parts of a page that only appear when asked for (a row's form, a confirm step, another row of fields) are opened
    /// with the keyboard, as a keyboard user would, and the page is checked again with them open. Nothing is saved.
    /// </summary>
    [Theory]
    [InlineData("admin", "/admin/users", "Change role", "Save role")]
    [InlineData("operator", "/admin/lots/new", "Add opening hours", "Remove")]
    [InlineData("operator", "/admin/pricing/events", "Delete", "Keep it")]
    public async Task PagePart_OpenedWithKeyboard_EveryControlReachableNamedAndFocusVisibleWithoutConsoleErrors(string role, string path, string opener, string opened)
    {
        if (path == "/admin/pricing/events")
        {
            // An event to ask about deleting, years ahead so no price today changes.
            await host.Api.SendAsync(HttpMethod.Post, "/api/v1/manage/pricing-events", new
            {
                name = "Keyboard audit " + Guid.NewGuid().ToString("N")[..6], startsAt = new DateTimeOffset(2031, 6, 1, 18, 0, 0, TimeSpan.Zero),
                endsAt = new DateTimeOffset(2031, 6, 1, 23, 0, 0, TimeSpan.Zero), multiplier = 1.5m, latitude = 56.1535, longitude = 10.21, radiusMeters = 500d,
            });
        }
        await using var watched = await OpenAsync(role, path);
        var page = watched.Page;
        await KeyboardOnly.TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = opener }).First, maxTabs: 150);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = opened }).First).ToBeVisibleAsync();

        var audit = await PageAudit.RunAsync(page);

        ShouldPass(audit, watched, $"{path} as {role}, {opener} opened");
    }

    /// <summary>The page as <paramref name="role"/>, once its circuit (if it has one) is up.</summary>
    private async Task<WatchedPage> OpenAsync(string role, string path)
    {
        var url = await ResolveAsync(path);
        var state = role == "anonymous" ? null : await SignedInStateAsync(role);
        var watched = await host.OpenAsync(url, storageState: state);
        try
        {
            // Landing on the sign-in page instead would audit the wrong page.
            new Uri(watched.Page.Url).AbsolutePath.ShouldBe(new Uri(host.Server.BaseUri, url).AbsolutePath);
            // The account pages are static server-rendered forms; every other page has a circuit and says when it is up.
            if (!path.StartsWith("/account/", StringComparison.Ordinal))
                await Expect(watched.Page.Locator("[data-interactive='true']")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            return watched;
        }
        catch
        {
            await watched.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every finding at once, so one run names all of a page's problems.</summary>
    private void ShouldPass(PageAuditResult audit, WatchedPage watched, string what)
    {
        output.WriteLine($"{what}: {audit.Checked} controls, {audit.TabOrder.Count} Tab presses");
        audit.ShouldSatisfyAllConditions(
            $"{what} ({audit.Checked} controls)",
            () => audit.Checked.ShouldBeGreaterThan(0),
            () => audit.NotReached.ShouldBeEmpty("Tab never reached:\n" + string.Join("\n", audit.NotReached) + "\nTab went to:\n" + string.Join("\n", audit.TabOrder)),
            () => audit.WithoutFocusStyle.ShouldBeEmpty("No visible focus on:\n" + string.Join("\n", audit.WithoutFocusStyle)),
            () => audit.Unnamed.ShouldBeEmpty(string.Join("\n", audit.Unnamed)),
            watched.ShouldHaveNoErrors);
    }

    private async Task<string> ResolveAsync(string path)
    {
        if (path.Contains("{lot}", StringComparison.Ordinal))
        {
            var lots = await host.Api.SendAsync(HttpMethod.Get, $"/api/v1/manage/lots?q={Uri.EscapeDataString(DemoLot)}");
            path = path.Replace("{lot}", lots.GetProperty("items")[0].GetProperty("id").GetGuid().ToString(), StringComparison.Ordinal);
        }
        if (path.Contains("{sensor}", StringComparison.Ordinal))
        {
            var sensors = await host.Api.SendAsync(HttpMethod.Get, $"/api/v1/manage/sensors?q={DemoSensor}");
            path = path.Replace("{sensor}", sensors.GetProperty("items")[0].GetProperty("id").GetGuid().ToString(), StringComparison.Ordinal);
        }
        return path;
    }

    private async Task<string> SignedInStateAsync(string role)
    {
        var key = (host.Server.BaseUri, role);
        if (SignedIn.TryGetValue(key, out var state)) return state;
        var demo = host.Server.Credentials;
        await using var watched = await host.OpenAsync("/account/login");
        switch (role)
        {
            case "driver": await WebSignIn.AsDemoDriverAsync(watched.Page, demo); break;
            case "operator": await WebSignIn.AsDemoOperatorAsync(watched.Page, demo); break;
            case "admin": await WebSignIn.AsDemoAdminAsync(watched.Page, demo); break;
            default: throw new ArgumentOutOfRangeException(nameof(role), role, "anonymous, driver, operator or admin");
        }
        return SignedIn[key] = await watched.Context.StorageStateAsync();
    }
}
