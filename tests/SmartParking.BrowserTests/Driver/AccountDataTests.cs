using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Driver;

/// <summary>A driver downloads everything held about them, and deletes their account, from the "My data" page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountDataTests(BrowserHost host)
{
    private const string Password = "Parking-Browser-2026";

    /// <summary>A new driver signed up through the page, on "My data" (reached from the site's navigation).</summary>
    private async Task<(WatchedPage Watched, string Email)> SignedUpOnMyDataAsync()
    {
        var watched = await host.OpenAsync("/account/register");
        var page = watched.Page;
        var email = $"driver-{Guid.NewGuid():N}@example.com";
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(email);
        await page.GetByRole(AriaRole.Link, new() { Name = "My data" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your data and account", Level = 1 })).ToBeVisibleAsync();
        return (watched, email);
    }

    [Fact]
    public async Task DownloadMyData_ZipWithDataJsonAndCsvs_AboutThisDriver()
    {
        var (watched, email) = await SignedUpOnMyDataAsync();
        await using var _ = watched;

        var download = await watched.Page.RunAndWaitForDownloadAsync(() => watched.Page.GetByTestId("download-data").ClickAsync());

        download.SuggestedFilename.ShouldEndWith(".zip");
        var file = Path.Combine(Path.GetTempPath(), $"sp-export-{Guid.NewGuid():N}.zip");
        try
        {
            await download.SaveAsAsync(file);
            using var zip = ZipFile.OpenRead(file);
            zip.Entries.Select(e => e.FullName).ShouldContain("data.json");
            zip.Entries.Select(e => e.FullName).ShouldContain("identity.account.csv");
            using var json = new StreamReader(zip.GetEntry("data.json")!.Open());
            (await json.ReadToEndAsync()).ShouldContain(email);
        }
        finally
        {
            File.Delete(file);
        }
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task Consent_GivenOnThePage_KeptAndShownAgain()
    {
        var (watched, _) = await SignedUpOnMyDataAsync();
        await using var _ = watched;
        var page = watched.Page;
        await Expect(page.GetByLabel("Use how I park to improve prices and services", new() { Exact = false })).Not.ToBeCheckedAsync();

        await page.GetByLabel("Use how I park to improve prices and services", new() { Exact = false }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save choices" }).ClickAsync();
        await Expect(page.GetByTestId("consent-saved")).ToBeVisibleAsync();

        await page.GotoAsync("/account/privacy");
        await Expect(page.GetByLabel("Use how I park to improve prices and services", new() { Exact = false })).ToBeCheckedAsync();
        await Expect(page.GetByLabel("Send me news and offers from SmartParking")).Not.ToBeCheckedAsync();
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task DeleteMyAccount_WrongPasswordRefused_RightOneDeletesAndSignsOut()
    {
        var (watched, email) = await SignedUpOnMyDataAsync();
        await using var _ = watched;
        var page = watched.Page;

        await page.GetByLabel("Your password").FillAsync("Not-The-Password-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();
        await Expect(page.GetByTestId("erase-error")).ToHaveTextAsync("That is not your current password.");

        await page.GetByLabel("Your password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete my account" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/account/deleted$"));
        await Expect(page.GetByTestId("account-deleted")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();

        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("sign-in-error")).ToHaveTextAsync("E-mail or password is wrong.");
        watched.ShouldHaveNoErrors();
    }
}
