using Microsoft.Playwright;
using SmartParking.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>Signing in through the real sign-in page, as a person would (with the authenticator code when the account has one).</summary>
public static class WebSignIn
{
    public static async Task AsAsync(IPage page, string email, string password, string? totpKey = null)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        if (totpKey is not null) await page.GetByLabel("Authenticator code").FillAsync(TotpGenerator.Now(totpKey));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(email);
    }

    public static Task AsDemoOperatorAsync(IPage page, DemoCredentials demo) => AsAsync(page, demo.OperatorEmail, demo.OperatorPassword, demo.OperatorTotpKey);

    public static Task AsDemoDriverAsync(IPage page, DemoCredentials demo) => AsAsync(page, demo.DriverEmail, demo.DriverPassword);
}
