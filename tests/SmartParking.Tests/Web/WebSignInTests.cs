using System.Net;
using System.Text.RegularExpressions;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Web;

/// <summary>
/// The web pages' cookie sign-in over plain HTTP: it works for pages, never for the API (which takes bearer tokens
/// only), refuses open redirects, needs the antiforgery token, and sign-in attempts share the auth rate limit.
/// </summary>
public sealed partial class WebSignInTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    /// <summary>Fills in the sign-in form as a browser would: the page first (for its antiforgery cookie and token), then the post.</summary>
    internal static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password, string? returnUrl = null, string? code = null)
    {
        var path = returnUrl is null ? "/account/login" : $"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}";
        var page = await client.GetStringAsync(path);
        var token = AntiforgeryToken().Match(page).Groups[1].Value;
        token.ShouldNotBeEmpty();
        return await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["Input.Code"] = code ?? "",
        }));
    }

    /// <summary>Where a redirect goes, resolved against this site (Blazor writes absolute addresses).</summary>
    private static string Target(HttpResponseMessage response) => new Uri(new Uri("http://localhost/"), response.Headers.Location!).AbsoluteUri;

    [Fact]
    public async Task SignIn_Driver_CookieOpensPagesButNotTheApi()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();

        var signedIn = await SignInAsync(client, driver.Email, driver.Password, returnUrl: "/me");

        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        Target(signedIn).ShouldBe("http://localhost/me");
        (await client.GetAsync("/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // The cookie is for pages: a page on another site could make the browser send it, so the API ignores it.
        (await client.GetAsync("/api/v1/auth/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("https://evil.example/phish")]
    [InlineData("//evil.example/phish")]
    [InlineData("/\\evil.example")]
    public async Task SignIn_ReturnUrlOffTheSite_GoesHomeInstead(string returnUrl)
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();

        var signedIn = await SignInAsync(client, driver.Email, driver.Password, returnUrl);

        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        Target(signedIn).ShouldBe("http://localhost/");
    }

    [Fact]
    public async Task SignIn_WrongPassword_SaysSoOnThePageWithoutACookie()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();

        var response = await SignInAsync(client, driver.Email, "Wrong-password-123");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldContain("E-mail or password is wrong.");
        (await client.GetAsync("/me")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task SignIn_OperatorWithoutTheCode_AskedForItAndNotSignedIn()
    {
        var op = await factory.CreateOperatorAsync(await factory.CreateTenantAsync());
        using var client = factory.Anonymous();

        var response = await SignInAsync(client, op.Email, op.Password);

        (await response.Content.ReadAsStringAsync()).ShouldContain("enter the code from your authenticator app");
        (await client.GetAsync("/admin")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task SignIn_AuthenticatorCodeAlreadyUsed_IsRefused()
    {
        var op = await factory.CreateOperatorAsync(await factory.CreateTenantAsync());
        var code = TotpGenerator.Next(op.TotpKey!, factory.Time);
        using var first = factory.Anonymous();
        (await SignInAsync(first, op.Email, op.Password, code: code)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        using var second = factory.Anonymous();

        var replay = await SignInAsync(second, op.Email, op.Password, code: code);

        replay.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await replay.Content.ReadAsStringAsync()).ShouldContain("That authenticator code is not valid.");
        (await second.GetAsync("/admin")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task Cookie_PasswordChangedElsewhere_NoLongerSignsIn()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        await SignInAsync(client, driver.Email, driver.Password);

        // What a password change or "sign out everywhere" does: a new security stamp.
        await factory.ExecuteAsync("update users set security_stamp = $1 where id = $2", Guid.NewGuid().ToString("N"), driver.Id);

        var response = await client.GetAsync("/me");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.AbsolutePath.ShouldBe("/account/login");
    }

    [Fact]
    public async Task SignOut_WithoutTheAntiforgeryToken_IsRefused()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        await SignInAsync(client, driver.Email, driver.Password);

        var response = await client.PostAsync("/account/logout", new FormUrlEncodedContent([]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.GetAsync("/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

/// <summary>The sign-in page counts against the same per-client limit as the API's sign-in.</summary>
public sealed class WebSignInLimitTests(LimitsFactory factory) : IClassFixture<LimitsFactory>
{
    [Fact]
    public async Task SignInPage_MoreAttemptsThanTheAuthLimit_429WithRetryAfterButThePageStillShows()
    {
        // Registering an account would spend attempts too; guessing at an unknown one is the attack anyway.
        using var client = factory.Anonymous();
        for (var i = 0; i < LimitsFactory.AuthRequestsPerWindow; i++)
            (await WebSignInTests.SignInAsync(client, "nobody@example.com", "Wrong-password-123")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var limited = await WebSignInTests.SignInAsync(client, "nobody@example.com", "Wrong-password-123");

        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter.ShouldNotBeNull();
        (await client.GetAsync("/account/login")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
