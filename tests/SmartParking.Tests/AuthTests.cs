using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Web;

namespace SmartParking.Tests;

public sealed class AuthTests(AuthFactory factory) : IClassFixture<AuthFactory>
{
    private const string ReuseType = "urn:smartparking:refresh-token-reuse";
    private const string MfaRequiredType = "urn:smartparking:mfa-required";
    private const string WrongPassword = "Wrong-Password-1";

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password, string? totp = null) =>
        client.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp });

    /// <summary>Everything a caller learns from a sign-in answer: status, Retry-After and the problem (less its trace id).</summary>
    private static async Task<string> AnswerAsync(HttpResponseMessage response)
    {
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        problem.Remove("traceId");
        return $"{(int)response.StatusCode} Retry-After={response.Headers.RetryAfter?.Delta?.TotalSeconds} {problem.ToJsonString()}";
    }

    private static async Task<string> PageErrorAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var match = Regex.Match(await response.Content.ReadAsStringAsync(), "data-testid=\"sign-in-error\">([^<]*)<");
        match.Success.ShouldBeTrue("the page shows no sign-in error");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [Fact]
    public async Task Register_ValidRequest_Returns201WithDriverProfile()
    {
        using var client = factory.Anonymous();
        var email = Accounts.NewEmail("new");

        var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Accounts.Password, displayName = "  Nadia  " });

        var me = await response.ShouldHaveStatusAsync(HttpStatusCode.Created);
        response.Headers.Location!.OriginalString.ShouldBe("/api/v1/auth/me");
        me.Str("email").ShouldBe(email);
        me.Str("displayName").ShouldBe("Nadia");
        me.Str("role").ShouldBe("driver");
        me.GetProperty("twoFactorEnabled").GetBoolean().ShouldBeFalse();
        (await factory.ScalarAsync<string>("select password_hash from users where id = $1", me.Id())).ShouldNotContain(Accounts.Password);
    }

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("someone@localhost")]
    [InlineData("a b@example.com")]
    [InlineData("")]
    public async Task Register_InvalidEmail_Returns400NamingEmail(string email)
    {
        using var client = factory.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Accounts.Password });
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "email");
    }

    [Theory]
    [InlineData("Short1abc")]          // 9 characters
    [InlineData("alllowercase123")]    // no upper case
    [InlineData("ALLUPPERCASE123")]    // no lower case
    [InlineData("NoDigitsAtAllHere")]  // no digit
    public async Task Register_WeakPassword_Returns400NamingPassword(string password)
    {
        using var client = factory.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email = Accounts.NewEmail("weak"), password });
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "password");
    }

    [Fact]
    public async Task Register_DuplicateEmailInAnyCase_Returns409()
    {
        using var client = factory.Anonymous();
        var email = Accounts.NewEmail("dup");
        (await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Accounts.Password })).StatusCode.ShouldBe(HttpStatusCode.Created);

        await (await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Accounts.Password })).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await (await client.PostAsJsonAsync("/api/v1/auth/register", new { email = email.ToUpperInvariant(), password = Accounts.Password })).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Login_CorrectPassword_ReturnsBearerTokensThatIdentifyTheUser()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();

        var tokens = await Accounts.LoginAsync(client, driver.Email.ToUpperInvariant(), driver.Password);

        tokens.TokenType.ShouldBe("Bearer");
        tokens.RefreshToken.ShouldNotBeNullOrWhiteSpace();
        tokens.RefreshTokenExpiresAt.ShouldBeGreaterThan(tokens.AccessTokenExpiresAt);
        using var authed = factory.ClientWithToken(tokens.AccessToken);
        var me = await authed.GetJsonAsync("/api/v1/auth/me");
        me.Id().ShouldBe(driver.Id);
        me.GetProperty("signedInWithSecondFactor").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Login_WrongPassword_Returns401Problem()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = "Wrong-Password-1" });
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Login_UnknownEmail_Returns401LikeAWrongPassword()
    {
        using var client = factory.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = Accounts.NewEmail("ghost"), password = Accounts.Password });
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        problem.Str("detail").ShouldBe("E-mail or password is wrong.");
    }

    [Fact]
    public async Task Login_MissingFields_Returns400NamingThem()
    {
        using var client = factory.Anonymous();
        var problem = await (await client.PostAsJsonAsync("/api/v1/auth/login", new { email = "" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "email");
        problem.GetProperty("errors").TryGetProperty("password", out _).ShouldBeTrue();
    }

    // ---- failed sign-ins: throttled per account and address, per account and per address; never a lock ----------

    [Fact]
    public async Task Login_UnknownEmailOrWrongPassword_SameAnswersBeforeAndWhileThrottled()
    {
        var driver = await factory.RegisterDriverAsync();
        var ghost = Accounts.NewEmail("ghost");
        using var guessingKnown = factory.Anonymous();
        using var guessingUnknown = factory.Anonymous();

        for (var attempt = 1; attempt <= AuthFactory.FailuresPerAccountAndAddress + 2; attempt++)
        {
            var known = await AnswerAsync(await LoginAsync(guessingKnown, driver.Email, WrongPassword));
            var unknown = await AnswerAsync(await LoginAsync(guessingUnknown, ghost, WrongPassword));

            unknown.ShouldBe(known, $"attempt {attempt}: an unknown e-mail must be answered as a wrong password is");
            known.ShouldStartWith(attempt <= AuthFactory.FailuresPerAccountAndAddress ? "401" : "429", Case.Sensitive, $"attempt {attempt}");
        }
    }

    [Fact]
    public async Task Login_FailuresFromOneAddress_ShortWaitThatGrowsInsteadOfALock()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        for (var attempt = 1; attempt <= AuthFactory.FailuresPerAccountAndAddress; attempt++)
            await (await LoginAsync(client, driver.Email, WrongPassword)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);

        // Held back without the password being checked, so even the right one waits.
        var held = await LoginAsync(client, driver.Email, driver.Password);
        await held.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        held.Headers.RetryAfter!.Delta.ShouldBe(AuthFactory.FirstDelay);

        factory.Clock.Advance(AuthFactory.FirstDelay);
        await (await LoginAsync(client, driver.Email, WrongPassword)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        var longer = await LoginAsync(client, driver.Email, WrongPassword);
        await longer.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        longer.Headers.RetryAfter!.Delta.ShouldBe(2 * AuthFactory.FirstDelay);

        factory.Clock.Advance(2 * AuthFactory.FirstDelay);
        await Accounts.LoginAsync(client, driver.Email, driver.Password);
    }

    [Fact]
    public async Task Login_SuccessfulSignIn_StartsTheCountAgain()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        for (var round = 0; round < 2; round++)
        {
            for (var attempt = 1; attempt < AuthFactory.FailuresPerAccountAndAddress; attempt++)
                await (await LoginAsync(client, driver.Email, WrongPassword)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            await Accounts.LoginAsync(client, driver.Email, driver.Password);
        }
    }

    [Fact]
    public async Task Login_GuessingFromManyAddresses_OwnerIsNotKeptOutForLong()
    {
        var driver = await factory.RegisterDriverAsync();
        var home = AuthFactory.NewAddress();
        using (var owner = factory.AnonymousFrom(home)) await Accounts.LoginAsync(owner, driver.Email, driver.Password);

        // Guessing from a new address each time, waiting out every delay: the account-wide delay grows to its cap, no further.
        for (var attempt = 0; attempt < AuthFactory.FailuresPerAccount + 8; attempt++)
        {
            using var attacker = factory.Anonymous();
            var response = await LoginAsync(attacker, driver.Email, WrongPassword);
            if (response.StatusCode != HttpStatusCode.TooManyRequests) continue;
            response.Headers.RetryAfter!.Delta!.Value.ShouldBeLessThanOrEqualTo(AuthFactory.AccountMaxDelay);
            factory.Clock.Advance(response.Headers.RetryAfter.Delta.Value);
        }
        // The owner's own address (signed in from before) is not held back by guesses from elsewhere ...
        using (var owner = factory.AnonymousFrom(home)) await Accounts.LoginAsync(owner, driver.Email, driver.Password);
        // ... and from a new one the owner waits no longer than the account-wide cap.
        using var travelling = factory.Anonymous();
        var held = await LoginAsync(travelling, driver.Email, driver.Password);
        await held.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        held.Headers.RetryAfter!.Delta!.Value.ShouldBeLessThanOrEqualTo(AuthFactory.AccountMaxDelay);
        factory.Clock.Advance(held.Headers.RetryAfter.Delta.Value);
        await Accounts.LoginAsync(travelling, driver.Email, driver.Password);
    }

    [Fact]
    public async Task Login_ParallelWrongPasswords_NoMoreGetThroughThanTheLimitAllows()
    {
        // Guessing in parallel must not slip past the counts: from one address, and from many at once.
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();

        var fromOne = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => LoginAsync(client, driver.Email, WrongPassword)));

        fromOne.Count(r => r.StatusCode == HttpStatusCode.Unauthorized).ShouldBe(AuthFactory.FailuresPerAccountAndAddress);
        fromOne.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests).ShouldBe(12 - AuthFactory.FailuresPerAccountAndAddress);

        var other = await factory.RegisterDriverAsync();
        var fromMany = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var attacker = factory.Anonymous();
            return (await LoginAsync(attacker, other.Email, WrongPassword)).StatusCode;
        }));

        fromMany.Count(s => s == HttpStatusCode.Unauthorized).ShouldBe(AuthFactory.FailuresPerAccount);
        fromMany.Count(s => s == HttpStatusCode.TooManyRequests).ShouldBe(16 - AuthFactory.FailuresPerAccount);
    }

    [Fact]
    public async Task Login_ManyAccountsGuessedFromOneAddress_ThatAddressWaitsOthersDoNot()
    {
        var driver = await factory.RegisterDriverAsync();
        using var sprayer = factory.AnonymousFrom(AuthFactory.NewAddress());
        for (var attempt = 1; attempt <= AuthFactory.FailuresPerAddress; attempt++)
            await (await LoginAsync(sprayer, Accounts.NewEmail("sprayed"), WrongPassword)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);

        await (await LoginAsync(sprayer, driver.Email, driver.Password)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        using var elsewhere = factory.Anonymous();
        await Accounts.LoginAsync(elsewhere, driver.Email, driver.Password);
    }

    [Fact]
    public async Task Login_WrongTotpCodes_CountLikeWrongPasswords()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var client = factory.Anonymous();
        for (var attempt = 1; attempt <= AuthFactory.FailuresPerAccountAndAddress; attempt++)
            await (await LoginAsync(client, driver.Email, driver.Password, TotpGenerator.Invalid(driver.TotpKey!, factory.Time))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "totp");

        await (await LoginAsync(client, driver.Email, driver.Password, TotpGenerator.Next(driver.TotpKey!, factory.Time))).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task ThrottlePurge_KeepsWhatHoldsAttemptsBackAndForgetsTheRest()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        for (var attempt = 1; attempt <= AuthFactory.FailuresPerAccountAndAddress; attempt++)
            await LoginAsync(client, driver.Email, WrongPassword);
        var jobs = factory.Services.GetRequiredService<SingleNodeJobs>();

        await jobs.RunRoundAsync(CancellationToken.None);
        await (await LoginAsync(client, driver.Email, driver.Password)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        // A round is skipped while the background loop holds the jobs' lock: poll with a deadline rather than trust one.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        long left;
        while ((left = await factory.ScalarAsync<long>("select count(*) from sign_in_throttle where trusted_until is null")) > 0 && DateTime.UtcNow < deadline)
            await jobs.RunRoundAsync(CancellationToken.None);
        left.ShouldBe(0);
        await Accounts.LoginAsync(client, driver.Email, driver.Password);
    }

    [Fact]
    public async Task WebSignIn_RepeatedFailures_ThrottledAlikeForAKnownAndAnUnknownEmail()
    {
        var driver = await factory.RegisterDriverAsync();
        var ghost = Accounts.NewEmail("ghost");
        using var guessingKnown = factory.Anonymous();
        using var guessingUnknown = factory.Anonymous();

        for (var attempt = 1; attempt <= AuthFactory.FailuresPerAccountAndAddress + 1; attempt++)
        {
            var known = await PageErrorAsync(await WebSignInTests.SignInAsync(guessingKnown, driver.Email, WrongPassword));
            var unknown = await PageErrorAsync(await WebSignInTests.SignInAsync(guessingUnknown, ghost, WrongPassword));

            unknown.ShouldBe(known, $"attempt {attempt}");
            known.ShouldStartWith(attempt <= AuthFactory.FailuresPerAccountAndAddress ? "E-mail or password is wrong." : "Too many failed sign-in attempts", Case.Sensitive, $"attempt {attempt}");
        }
        // The right password waits too, and signs nobody in.
        (await PageErrorAsync(await WebSignInTests.SignInAsync(guessingKnown, driver.Email, driver.Password))).ShouldStartWith("Too many failed sign-in attempts");
        (await guessingKnown.GetAsync("/me")).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        factory.Clock.Advance(AuthFactory.FirstDelay);
        (await WebSignInTests.SignInAsync(guessingKnown, driver.Email, driver.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task Register_EmailWithApostropheOrPlus_IsAccepted()
    {
        using var client = factory.Anonymous();
        foreach (var email in new[] { $"o'brien-{Guid.NewGuid():N}@example.com", $"first.last+parking-{Guid.NewGuid():N}@example.co.uk" })
        {
            var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Accounts.Password });
            (await response.ShouldHaveStatusAsync(HttpStatusCode.Created)).Str("email").ShouldBe(email);
            await Accounts.LoginAsync(client, email, Accounts.Password);
        }
    }

    [Fact]
    public async Task Login_GuessedAtFromElsewhere_EarlierSignInKeepsRefreshing()
    {
        var driver = await factory.RegisterDriverAsync();
        for (var attempt = 0; attempt <= AuthFactory.FailuresPerAccount; attempt++)
        {
            using var attacker = factory.Anonymous();
            await LoginAsync(attacker, driver.Email, WrongPassword);
        }
        using var client = factory.Anonymous();

        var refresh = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Tokens.RefreshToken });

        await refresh.ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Refresh_CurrentToken_RotatesToANewWorkingPair()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();

        var rotated = (await (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Tokens.RefreshToken }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK)).Deserialize<Tokens>(Json.Options)!;

        rotated.RefreshToken.ShouldNotBe(driver.Tokens.RefreshToken);
        rotated.AccessToken.ShouldNotBe(driver.Tokens.AccessToken);
        using var authed = factory.ClientWithToken(rotated.AccessToken);
        (await authed.GetJsonAsync("/api/v1/auth/me")).Id().ShouldBe(driver.Id);
        // The newest token rotates again.
        (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = rotated.RefreshToken })).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Refresh_AlreadyUsedToken_Returns401ReuseAndRevokesTheWholeFamily()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        var first = driver.Tokens.RefreshToken;
        var second = (await (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = first }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK)).Deserialize<Tokens>(Json.Options)!;

        var replay = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = first });

        await replay.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, type: ReuseType);
        // The thief may hold the newest token too: it is dead as well.
        await (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = second.RefreshToken }))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Refresh_ReuseInOneSignIn_OtherSignInsOfTheUserKeepWorking()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();
        var otherDevice = await Accounts.LoginAsync(client, driver.Email, driver.Password);
        await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Tokens.RefreshToken });
        await (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Tokens.RefreshToken }))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, type: ReuseType);

        (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = otherDevice.RefreshToken })).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Refresh_UnknownToken_Returns401()
    {
        using var client = factory.Anonymous();
        await (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = "not-a-token" })).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_RefreshToken_Returns204AndRevokesTheSignIn()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.Anonymous();

        (await client.PostAsJsonAsync("/api/v1/auth/logout", new { refreshToken = driver.Tokens.RefreshToken })).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Tokens.RefreshToken })).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        // Logging out twice, or with an unknown token, is harmless.
        (await client.PostAsJsonAsync("/api/v1/auth/logout", new { refreshToken = driver.Tokens.RefreshToken })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Me_WithoutToken_Returns401Problem()
    {
        using var client = factory.Anonymous();
        var response = await client.GetAsync("/api/v1/auth/me");
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ShouldContain(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Me_WithForgedToken_Returns401Problem()
    {
        var driver = await factory.RegisterDriverAsync();
        var parts = driver.Tokens.AccessToken.Split('.');
        // Same header and claims, different signature.
        var forged = $"{parts[0]}.{parts[1]}.{new string('A', parts[2].Length)}";
        using var client = factory.ClientWithToken(forged);
        await (await client.GetAsync("/api/v1/auth/me")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task MfaSetup_Driver_ReturnsBase32KeyAndOtpauthUri()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        var setup = await (await client.PostAsync("/api/v1/auth/mfa/setup", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var key = setup.Str("sharedKey");
        TotpGenerator.Base32Decode(key).Length.ShouldBeGreaterThanOrEqualTo(10);
        setup.Str("authenticatorUri").ShouldStartWith("otpauth://totp/SmartParking:");
        setup.Str("authenticatorUri").ShouldContain("secret=" + key);
    }

    [Fact]
    public async Task MfaSetup_AskedTwice_SameKeyAndTheAccountStaysSignedIn()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var stamp = await factory.ScalarAsync<string>("select security_stamp from users where id = $1", driver.Id);

        var first = (await (await client.PostAsync("/api/v1/auth/mfa/setup", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("sharedKey");
        var second = (await (await client.PostAsync("/api/v1/auth/mfa/setup", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("sharedKey");

        second.ShouldBe(first, "an app that scanned the first key must still work");
        (await factory.ScalarAsync<string>("select security_stamp from users where id = $1", driver.Id)).ShouldBe(stamp, "opening enrolment must not sign the account out");
        using var anonymous = factory.Anonymous();
        await (await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Tokens.RefreshToken })).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MfaEnable_WrongCode_Returns400NamingCode()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var key = (await (await client.PostAsync("/api/v1/auth/mfa/setup", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("sharedKey");

        var response = await client.PostAsJsonAsync("/api/v1/auth/mfa/enable", new { code = TotpGenerator.Invalid(key, factory.Time) });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "code");
        (await factory.ScalarAsync<bool>("select two_factor_enabled from users where id = $1", driver.Id)).ShouldBeFalse();
    }

    [Fact]
    public async Task MfaEnable_RightCode_ReturnsRecoveryCodesAndSecondFactorTokensAndEndsOlderSignIns()
    {
        var driver = await factory.RegisterDriverAsync();
        var before = driver.Tokens;

        await Accounts.EnrolTotpAsync(factory, driver);

        driver.RecoveryCodes.Count.ShouldBe(10);
        using var client = factory.ClientFor(driver);
        (await client.GetJsonAsync("/api/v1/auth/me")).GetProperty("signedInWithSecondFactor").GetBoolean().ShouldBeTrue();
        using var anonymous = factory.Anonymous();
        await (await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = before.RefreshToken })).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        // A second enrolment is refused rather than silently replacing the key.
        await (await client.PostAsync("/api/v1/auth/mfa/setup", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Login_TotpEnrolledWithoutCode_Returns401MfaRequired()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var client = factory.Anonymous();

        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password });

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, type: MfaRequiredType);
    }

    [Fact]
    public async Task Login_TotpEnrolledWrongCode_Returns400NamingTotp()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var client = factory.Anonymous();

        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, totp = TotpGenerator.Invalid(driver.TotpKey!, factory.Time) });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "totp");
    }

    [Fact]
    public async Task Login_TotpEnrolledRightCode_ReturnsSecondFactorTokens()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var client = factory.Anonymous();

        // Authenticator apps show the code in groups; spaces are allowed.
        var code = TotpGenerator.Next(driver.TotpKey!, factory.Time);
        var tokens = await Accounts.LoginAsync(client, driver.Email, driver.Password, code[..3] + " " + code[3..]);

        using var authed = factory.ClientWithToken(tokens.AccessToken);
        (await authed.GetJsonAsync("/api/v1/auth/me")).GetProperty("signedInWithSecondFactor").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Login_SameTotpCodeTwice_SecondIsRefused()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var client = factory.Anonymous();
        var code = TotpGenerator.Next(driver.TotpKey!, factory.Time);
        await Accounts.LoginAsync(client, driver.Email, driver.Password, code);

        // Still within the code's step: RFC 6238 §5.2, a verifier must not accept the same code twice.
        var replay = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, totp = code });

        await replay.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "totp");
    }

    [Fact]
    public async Task Login_SameTotpCodeInParallel_OnlyOneSignsIn()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        var code = TotpGenerator.Next(driver.TotpKey!, factory.Time);

        // From several devices at once (each with its own address, so none is held back by the throttle).
        var attempts = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var device = factory.Anonymous();
            return await device.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, totp = code });
        }));

        attempts.Select(r => r.StatusCode).Order().ShouldBe([HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest]);
    }

    [Fact]
    public async Task Login_CodeThatEnabledTwoFactor_CannotSignIn()
    {
        var driver = await factory.RegisterDriverAsync();
        using var authed = factory.ClientFor(driver);
        var key = (await (await authed.PostAsync("/api/v1/auth/mfa/setup", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("sharedKey");
        var code = TotpGenerator.Code(key, factory.Clock.GetUtcNow());
        await (await authed.PostAsJsonAsync("/api/v1/auth/mfa/enable", new { code })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        using var client = factory.Anonymous();

        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, totp = code });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "totp");
    }

    [Fact]
    public async Task Login_TotpCodeTwoStepsFromNow_IsRefused()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        factory.Clock.Advance(TimeSpan.FromSeconds(3 * TotpGenerator.StepSeconds));
        var now = factory.Clock.GetUtcNow();
        using var client = factory.Anonymous();

        foreach (var steps in new[] { -2, 2 })
        {
            var code = TotpGenerator.Code(driver.TotpKey!, now.AddSeconds(steps * TotpGenerator.StepSeconds));
            var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, totp = code });
            await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "totp");
        }
    }

    [Fact]
    public async Task Login_TotpCodeOneStepEitherSideOfNow_IsAccepted()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        factory.Clock.Advance(TimeSpan.FromSeconds(3 * TotpGenerator.StepSeconds));
        var now = factory.Clock.GetUtcNow();
        using var client = factory.Anonymous();

        // A phone's clock a little behind or ahead of the server's; the older step first, as a later one ends the older ones.
        foreach (var steps in new[] { -1, 1 })
            await Accounts.LoginAsync(client, driver.Email, driver.Password, TotpGenerator.Code(driver.TotpKey!, now.AddSeconds(steps * TotpGenerator.StepSeconds)));
    }

    [Fact]
    public async Task Login_RecoveryCode_WorksOnceOnly()
    {
        var driver = await factory.RegisterDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver);
        using var client = factory.Anonymous();
        var code = driver.RecoveryCodes[0];

        var first = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, recoveryCode = code });
        var tokens = (await first.ShouldHaveStatusAsync(HttpStatusCode.OK)).Deserialize<Tokens>(Json.Options)!;
        using var authed = factory.ClientWithToken(tokens.AccessToken);
        (await authed.GetJsonAsync("/api/v1/auth/me")).GetProperty("signedInWithSecondFactor").GetBoolean().ShouldBeTrue();

        var second = await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, recoveryCode = code });
        await second.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "recoveryCode");
        // The other codes are still good.
        (await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = driver.Password, recoveryCode = driver.RecoveryCodes[1] }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
