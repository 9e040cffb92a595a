using System.Diagnostics.Metrics;
using System.Net;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using SmartParking.Server.Modules.Identity.SignIn;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Observability;

namespace SmartParking.Server.Modules.Identity;

/// <summary>A user whose password (and second factor, when enrolled) checked out.</summary>
public sealed record VerifiedUser(AppUser User, bool SecondFactor);

/// <summary>
/// The one credential check behind both the API's token sign-in and the web pages' cookie sign-in, so the throttle on
/// failed attempts, the second factor and the timing guard cannot drift apart between them.
/// </summary>
public sealed class PasswordSignIn(UserManager<AppUser> users, SignInThrottle throttle, SignInFailures failures, NpgsqlDataSource db, TimeProvider time)
{
    public const string MfaRequiredType = "urn:smartparking:mfa-required";
    public const string WrongCredentials = "E-mail or password is wrong.";

    private static readonly Meter Meter = new(ObservabilityModule.MeterName + ".Identity");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("smartparking.signins.failed", "{attempt}",
        "Sign-ins refused, by reason (credentials, second_factor, unavailable, throttled): a surge is guessing or stuffing");

    /// <param name="from">The client's address: failed attempts are counted per account, per address and per both (<see cref="SignInThrottle"/>).</param>
    public async Task<VerifiedUser> VerifyAsync(string email, string password, string? totp, string? recoveryCode, IPAddress? from)
    {
        // Held back or counted before anything about the account is looked at, the same for an address without one.
        SignInThrottle.Attempt attempt;
        try
        {
            attempt = await throttle.BeginAsync(users.NormalizeEmail(email.Trim()), from);
        }
        catch (TooManyRequestsException held)
        {
            // Which account was tried is not looked up while held back: the address alone is recorded.
            throw await FailedAsync("throttled", null, from, held);
        }
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            // Spend the same effort as a real check so response times do not reveal which e-mails exist.
            users.PasswordHasher.HashPassword(new AppUser(), password);
            throw await FailedAsync("credentials", null, from, new UnauthorizedException(WrongCredentials));
        }
        if (!await users.CheckPasswordAsync(user, password)) throw await FailedAsync("credentials", user.Id, from, new UnauthorizedException(WrongCredentials));
        // Set only by hand now that failed attempts are throttled instead; said only to whoever knows the password.
        if (await users.IsLockedOutAsync(user)) throw await FailedAsync("unavailable", user.Id, from, new UnauthorizedException("The account is not available."));

        if (user.TwoFactorEnabled)
        {
            if (string.IsNullOrWhiteSpace(totp) && string.IsNullOrWhiteSpace(recoveryCode))
            {
                await throttle.NotAFailureAsync(attempt);
                throw new UnauthorizedException("This account uses two-factor authentication: send the code from the authenticator app as 'totp'.", MfaRequiredType);
            }
            // A wrong code stays counted as a failed attempt, as a wrong password does.
            var ok = !string.IsNullOrWhiteSpace(totp)
                ? await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, totp.Replace(" ", ""))
                : (await users.RedeemTwoFactorRecoveryCodeAsync(user, recoveryCode!)).Succeeded;
            if (!ok) throw await FailedAsync("second_factor", user.Id, from, new ValidationException(!string.IsNullOrWhiteSpace(totp) ? "totp" : "recoveryCode", "is not valid."));
        }
        await throttle.SucceededAsync(attempt);
        await using (var connection = await db.OpenConnectionAsync())
            await connection.ExecuteAsync("update users set last_active_at = @now where id = @Id", new { now = time.GetUtcNow(), user.Id });
        return new VerifiedUser(user, user.TwoFactorEnabled);
    }

    /// <summary>Counts the refusal on /metrics and records it for administrators (<see cref="SignInFailures"/>).</summary>
    private async Task<Exception> FailedAsync(string reason, Guid? userId, IPAddress? from, Exception refusal)
    {
        Failures.Add(1, new KeyValuePair<string, object?>("reason", reason));
        await failures.RecordAsync(userId, from, reason);
        return refusal;
    }
}
