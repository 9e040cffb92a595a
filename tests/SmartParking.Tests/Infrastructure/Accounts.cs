using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SmartParking.Tests.Infrastructure;

public sealed record Tokens(string AccessToken, DateTimeOffset AccessTokenExpiresAt, string RefreshToken, DateTimeOffset RefreshTokenExpiresAt, string TokenType);

/// <summary>A user the tests created, with its latest tokens.</summary>
public sealed record TestAccount(Guid Id, string Email, string Password, string Role, Guid? TenantId)
{
    public required Tokens Tokens { get; set; }
    public string? TotpKey { get; set; }
    public IReadOnlyList<string> RecoveryCodes { get; set; } = [];
}

public static class Accounts
{
    /// <summary>Meets the policy: 10+ characters, upper, lower, digit, 5+ distinct characters.</summary>
    public const string Password = "Correct-Horse-42";

    public static string NewEmail(string prefix) => $"{prefix}-{Guid.NewGuid():N}@example.com";

    public static async Task<Tokens> LoginAsync(HttpClient client, string email, string password, string? totp = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password, totp });
        return (await response.ShouldHaveStatusAsync(HttpStatusCode.OK)).Deserialize<Tokens>(Json.Options)!;
    }

    /// <summary>A new sign-in of an account with TOTP, with a code the server has not accepted before (see <see cref="TotpGenerator.Next"/>).</summary>
    public static Task<Tokens> LoginWithTotpAsync(ApiFactory factory, HttpClient client, TestAccount account) =>
        LoginAsync(client, account.Email, account.Password, TotpGenerator.Next(account.TotpKey!, factory.Time));

    /// <summary>Enrols an authenticator through the API; the account's tokens become second-factor tokens.</summary>
    public static async Task EnrolTotpAsync(ApiFactory factory, TestAccount account)
    {
        using var client = factory.ClientFor(account);
        var setup = await (await client.PostAsync("/api/v1/auth/mfa/setup", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var key = setup.GetProperty("sharedKey").GetString()!;
        var enabled = await (await client.PostAsJsonAsync("/api/v1/auth/mfa/enable", new { code = TotpGenerator.Next(key, factory.Time) })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        account.TotpKey = key;
        account.RecoveryCodes = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        account.Tokens = enabled.GetProperty("tokens").Deserialize<Tokens>(Json.Options)!;
    }
}
