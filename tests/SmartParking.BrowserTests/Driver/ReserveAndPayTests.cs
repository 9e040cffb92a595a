using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Driver;

/// <summary>A driver signs up or in, reserves and pays, parks on a meter, and finds it all under My parking.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ReserveAndPayTests(BrowserHost host)
{
    private static async Task SearchCathedralAsync(IPage page)
    {
        await page.GotoAsync("/?q=Aarhus+Cathedral");
        await Expect(page.Locator("ul.result-list > li[data-lot-id]").First).ToBeVisibleAsync();
        // The results are drawn before the circuit connects; a link clicked while it connects can be lost.
        await Circuit.InteractiveAsync(page);
    }

    [Fact]
    public async Task SignUp_ReserveAndPayFromSearch_ReservationIsConfirmedInMyParking()
    {
        await using var watched = await host.OpenAsync("/account/register");
        var page = watched.Page;
        var email = $"driver-{Guid.NewGuid():N}@example.com";
        await page.GetByLabel("Name").FillAsync("Browser Driver");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("Parking-Browser-2026");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(email);

        await SearchCathedralAsync(page);
        await page.Locator("ul.result-list > li[data-lot-id]").First.GetByRole(AriaRole.Link, new() { Name = "Reserve" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/lots/.+/reserve"));
        await Circuit.InteractiveAsync(page);
        // The price is shown before anything is held or paid.
        await Expect(page.GetByTestId("reserve-quote")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d\d DKK$"));
        var quoted = await page.GetByTestId("reserve-quote").InnerTextAsync();
        await watched.ScreenshotAsync("driver-reserve-quote");

        await page.GetByRole(AriaRole.Button, new() { Name = "Hold this space" }).ClickAsync();
        await Expect(page.GetByTestId("reservation")).ToHaveAttributeAsync("data-status", "held");
        (await page.GetByTestId("reservation-price").InnerTextAsync()).ShouldBe(quoted);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add the sandbox test card" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Pay {quoted}" }).ClickAsync();
        await Expect(page.GetByTestId("reservation")).ToHaveAttributeAsync("data-status", "confirmed");

        await page.GetByRole(AriaRole.Link, new() { Name = "See my reservations" }).ClickAsync();
        var card = page.Locator("li[data-reservation-id]").First;
        await Expect(card.GetByTestId("reservation-status")).ToHaveTextAsync("confirmed");
        await Expect(card.GetByRole(AriaRole.Link, new() { Name = "Receipt (PDF)" })).ToBeVisibleAsync();
        await watched.ScreenshotAsync("driver-my-parking");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task MyParking_SignedOut_SignsInComesBackAndSignsOut()
    {
        var demo = host.Server.Credentials;
        await using var watched = await host.OpenAsync("/me");
        var page = watched.Page;
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();

        await page.GetByLabel("E-mail").FillAsync(demo.DriverEmail);
        await page.GetByLabel("Password").FillAsync("not-the-password-1A");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("sign-in-error")).ToHaveTextAsync("E-mail or password is wrong.");

        await page.GetByLabel("Password").FillAsync(demo.DriverPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "My parking", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(demo.DriverEmail);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GotoAsync("/me");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task MeterSession_StartFromSearchThenStop_IsChargedForMinutesUsed()
    {
        var demo = host.Server.Credentials;
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsDemoDriverAsync(page, demo);

        await SearchCathedralAsync(page);
        await page.Locator("ul.result-list > li[data-lot-id]").Nth(1).GetByRole(AriaRole.Link, new() { Name = "Pay to park here" }).ClickAsync();
        await Circuit.InteractiveAsync(page);
        var plate = "BT" + Random.Shared.Next(10_000, 99_999);
        await page.GetByLabel("Number plate").FillAsync(plate);
        await Expect(page.GetByTestId("park-quote")).ToContainTextAsync("DKK/h");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start parking" }).ClickAsync();

        var card = page.Locator("li[data-session-id]", new() { HasText = plate });
        await Expect(card.GetByTestId("session-status")).ToHaveTextAsync("active");
        await Circuit.InteractiveAsync(page);
        await card.GetByRole(AriaRole.Button, new() { Name = "Stop and pay" }).ClickAsync();
        await Expect(card.GetByTestId("session-status")).Not.ToHaveTextAsync("active");
        await Expect(page.GetByTestId("my-status")).ToContainTextAsync("Stopped");
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Reserve_KeyboardOnly_QuotesHoldsAndPays()
    {
        var demo = host.Server.Credentials;
        await using var watched = await host.OpenAsync("/");
        var page = watched.Page;
        await WebSignIn.AsDemoDriverAsync(page, demo);
        await SearchCathedralAsync(page);

        var reserve = page.Locator("ul.result-list > li[data-lot-id]").Nth(2).GetByRole(AriaRole.Link, new() { Name = "Reserve" });
        await KeyboardOnly.TabToAsync(page, reserve, maxTabs: 120);
        await page.Keyboard.PressAsync("Enter");
        await Circuit.InteractiveAsync(page);
        await KeyboardOnly.TabToAsync(page, page.GetByLabel("Stay for"));
        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(page.GetByTestId("reserve-quote")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d\d DKK$"));
        await KeyboardOnly.TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Hold this space" }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("reservation")).ToHaveAttributeAsync("data-status", "held");

        var pay = page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Pay ") });
        await KeyboardOnly.TabToAsync(page, pay);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("reservation")).ToHaveAttributeAsync("data-status", "confirmed");
        watched.ShouldHaveNoErrors();
    }
}
