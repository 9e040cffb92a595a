using System.Collections.Concurrent;
using Microsoft.Playwright;
using SmartParking.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>
/// Signing in through the real sign-in page, as a person would (with the authenticator code when the account has one).
/// <para>
/// The server takes each TOTP code once (and only around now), and the tests sign the demo operator and admin in far
/// more often than the two fresh codes a 30 s step gives (<see cref="TotpGenerator.Next"/>). So each of them signs in
/// through the page once per server; later sign-ins of the same account get that session's cookies put into their
/// browser context (what a person who signed in already has) and land where the page would have sent them. Accounts
/// a test makes for itself sign in through the page every time.
/// </para>
/// </summary>
public static class WebSignIn
{
    private static readonly ConcurrentDictionary<(string Server, string Email), IReadOnlyList<Cookie>> Sessions = new();

    public static async Task AsAsync(IPage page, string email, string password, string? totpKey = null)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        if (totpKey is not null) await page.GetByLabel("Authenticator code").FillAsync(TotpGenerator.Next(totpKey));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(email);
    }

    public static Task AsDemoOperatorAsync(IPage page, DemoCredentials demo) => AsKeptSessionAsync(page, demo.OperatorEmail, demo.OperatorPassword, demo.OperatorTotpKey);

    public static Task AsDemoAdminAsync(IPage page, DemoCredentials demo) => AsKeptSessionAsync(page, demo.AdminEmail, demo.AdminPassword, demo.AdminTotpKey);

    public static Task AsDemoDriverAsync(IPage page, DemoCredentials demo) => AsAsync(page, demo.DriverEmail, demo.DriverPassword);

    /// <summary>The first time per server through the page; after that with the cookies of that sign-in, landing on the dashboard as the page does.</summary>
    private static async Task AsKeptSessionAsync(IPage page, string email, string password, string totpKey)
    {
        var server = new Uri(page.Url).GetLeftPart(UriPartial.Authority);
        if (Sessions.TryGetValue((server, email), out var cookies))
        {
            await page.Context.AddCookiesAsync(cookies);
            await page.GotoAsync("/admin");
            await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(email);
            return;
        }
        await AsAsync(page, email, password, totpKey);
        Sessions[(server, email)] = (await page.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }).ToList();
    }
}
