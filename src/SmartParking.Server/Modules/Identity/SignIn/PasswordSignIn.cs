using Microsoft.AspNetCore.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity.SignIn;

/// <summary>A user whose password (and second factor, when enrolled) checked out.</summary>
public sealed record VerifiedUser(AppUser User, bool SecondFactor);

/// <summary>
/// The one credential check behind both the API's token sign-in and the web pages' cookie sign-in, so lockout, the
/// second factor and the timing guard cannot drift apart between them.
/// </summary>
public sealed class PasswordSignIn(UserManager<AppUser> users, TimeProvider time)
{
    public const string MfaRequiredType = "urn:smartparking:mfa-required";

    public async Task<VerifiedUser> VerifyAsync(string email, string password, string? totp, string? recoveryCode)
    {
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            // Spend the same effort as a real check so response times do not reveal which e-mails exist.
            users.PasswordHasher.HashPassword(new AppUser(), password);
            throw new UnauthorizedException("E-mail or password is wrong.");
        }
        await ThrowIfLockedOut(user);
        if (!await users.CheckPasswordAsync(user, password))
        {
            user = await CountFailureAsync(user);
            await ThrowIfLockedOut(user);
            throw new UnauthorizedException("E-mail or password is wrong.");
        }

        if (user.TwoFactorEnabled)
        {
            if (string.IsNullOrWhiteSpace(totp) && string.IsNullOrWhiteSpace(recoveryCode))
                throw new UnauthorizedException("This account uses two-factor authentication: send the code from the authenticator app as 'totp'.", MfaRequiredType);
            var ok = !string.IsNullOrWhiteSpace(totp)
                ? await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, totp.Replace(" ", ""))
                : (await users.RedeemTwoFactorRecoveryCodeAsync(user, recoveryCode!)).Succeeded;
            if (!ok)
            {
                user = await CountFailureAsync(user);
                await ThrowIfLockedOut(user);
                throw new ValidationException(!string.IsNullOrWhiteSpace(totp) ? "totp" : "recoveryCode", "is not valid.");
            }
        }
        if (user.AccessFailedCount > 0) await users.ResetAccessFailedCountAsync(user);
        return new VerifiedUser(user, user.TwoFactorEnabled);
    }

    /// <summary>
    /// Records a failed attempt. Parallel attempts race on the concurrency stamp and all but one update would be
    /// lost, letting parallel guessing slip past the lockout; the losers reload the user and count again.
    /// </summary>
    private async Task<AppUser> CountFailureAsync(AppUser user)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if ((await users.AccessFailedAsync(user)).Succeeded) break;
            if (await users.FindByIdAsync(user.Id.ToString()) is not { } fresh) break;
            user = fresh;
        }
        return user;
    }

    private async Task ThrowIfLockedOut(AppUser user)
    {
        if (!await users.IsLockedOutAsync(user)) return;
        var remaining = (user.LockoutEnd ?? time.GetUtcNow()) - time.GetUtcNow();
        throw new TooManyRequestsException("Too many failed sign-in attempts; the account is locked for a while.", remaining < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : remaining);
    }
}
