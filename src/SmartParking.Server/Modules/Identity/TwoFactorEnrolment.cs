using Microsoft.AspNetCore.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity;

/// <summary>Turning on an authenticator app (TOTP) for an account, for the API and the web page alike.</summary>
public sealed class TwoFactorEnrolment(UserManager<AppUser> users, IUserStore<AppUser> store)
{
    /// <summary>
    /// The key for the authenticator app; nothing is enabled until a code from it is confirmed (which then ends the
    /// account's other sign-ins). A key already waiting is given again, so an app that scanned it keeps working. The
    /// key is stored without UserManager.ResetAuthenticatorKeyAsync, whose new security stamp would sign the account
    /// out everywhere just for opening the enrolment page.
    /// </summary>
    public async Task<MfaSetupResponse> StartAsync(Guid userId)
    {
        var user = await FindAsync(userId);
        if (user.TwoFactorEnabled) throw new ConflictException("Two-factor authentication is already enabled for this account.");
        if (string.IsNullOrEmpty(await users.GetAuthenticatorKeyAsync(user)))
        {
            await ((IUserAuthenticatorKeyStore<AppUser>)store).SetAuthenticatorKeyAsync(user, users.GenerateNewAuthenticatorKey(), CancellationToken.None);
            AuthEndpoints.ThrowIfFailed(await users.UpdateAsync(user));
        }
        var key = (await users.GetAuthenticatorKeyAsync(user))!;
        return new MfaSetupResponse(key, Totp.AuthenticatorUri(user.Email, key));
    }

    /// <summary>Confirms a code from the app and turns two-factor on; returns the account and its one-time recovery codes.</summary>
    public async Task<(AppUser User, IReadOnlyList<string> RecoveryCodes)> EnableAsync(Guid userId, string? code)
    {
        new Validation().Required(code, "code", 16).ThrowIfInvalid();
        var user = await FindAsync(userId);
        if (user.TwoFactorEnabled) throw new ConflictException("Two-factor authentication is already enabled for this account.");
        if (user.AuthenticatorKey is null) throw new ConflictException("Call /api/v1/auth/mfa/setup first to get an authenticator key.");
        if (!await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, code!.Replace(" ", "")))
            throw new ValidationException("code", "is not valid for the authenticator key.");
        AuthEndpoints.ThrowIfFailed(await users.SetTwoFactorEnabledAsync(user, true));
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))!.ToList();
        return (user, codes);
    }

    private async Task<AppUser> FindAsync(Guid userId) =>
        await users.FindByIdAsync(userId.ToString()) ?? throw new UnauthorizedException("The account no longer exists.");
}
