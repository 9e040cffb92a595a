using System.ComponentModel;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Identity;

public sealed record RegisterRequest(
    [property: Required] string? Email,
    [property: Required] string? Password,
    string? DisplayName);
public sealed record LoginRequest(
    [property: Required] string? Email,
    [property: Required] string? Password,
    [property: Description("The current code of the account's authenticator, when it has two-factor on.")] string? Totp,
    string? RecoveryCode);
public sealed record RefreshRequest([property: Required] string? RefreshToken);
public sealed record MfaCodeRequest([property: Required] string? Code);
public sealed record MeResponse(Guid Id, string Email, string? DisplayName, string Role, Guid? TenantId, bool TwoFactorEnabled, bool SignedInWithSecondFactor);
public sealed record MfaSetupResponse(string SharedKey, string AuthenticatorUri);
public sealed record MfaEnabledResponse(IReadOnlyList<string> RecoveryCodes, TokenPair Tokens);

public static class AuthEndpoints
{
    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Auth");
        auth.MapPost("/register", Register).RequireRateLimiting(HttpHygiene.AuthPolicy);
        auth.MapPost("/login", Login).RequireRateLimiting(HttpHygiene.AuthPolicy);
        auth.MapPost("/refresh", Refresh).RequireRateLimiting(HttpHygiene.AuthPolicy);
        auth.MapPost("/logout", Logout);
        auth.MapGet("/me", Me).RequireAuthorization(Policies.Driver);
        auth.MapPost("/mfa/setup", SetupMfa).RequireAuthorization(Policies.Driver);
        auth.MapPost("/mfa/enable", EnableMfa).RequireAuthorization(Policies.Driver);
    }

    private static async Task<Created<MeResponse>> Register(RegisterRequest request, DriverSignUp signUp)
    {
        var user = await signUp.RegisterAsync(request.Email, request.Password, request.DisplayName);
        return TypedResults.Created("/api/v1/auth/me", ToMe(user, false));
    }

    private static async Task<TokenPair> Login(LoginRequest request, HttpContext http, PasswordSignIn signIn, TokenService tokens, CancellationToken ct)
    {
        new Validation().Required(request.Email, "email", 254).Required(request.Password, "password", 128).ThrowIfInvalid();
        var verified = await signIn.VerifyAsync(request.Email!, request.Password!, request.Totp, request.RecoveryCode, http.Connection.RemoteIpAddress);
        return await tokens.IssueAsync(verified.User, mfa: verified.SecondFactor, ct);
    }

    private static async Task<TokenPair> Refresh(RefreshRequest request, TokenService tokens, UserManager<AppUser> users, CancellationToken ct)
    {
        new Validation().Required(request.RefreshToken, "refreshToken", 200).ThrowIfInvalid();
        return await tokens.RefreshAsync(request.RefreshToken!, id => users.FindByIdAsync(id.ToString()), ct);
    }

    private static async Task<NoContent> Logout(RefreshRequest request, TokenService tokens, CancellationToken ct)
    {
        new Validation().Required(request.RefreshToken, "refreshToken", 200).ThrowIfInvalid();
        await tokens.RevokeAsync(request.RefreshToken!, ct);
        return TypedResults.NoContent();
    }

    private static async Task<MeResponse> Me(ClaimsPrincipal principal, UserManager<AppUser> users)
    {
        var user = await users.FindByIdAsync(principal.UserId().ToString()) ?? throw new UnauthorizedException("The account no longer exists.");
        return ToMe(user, principal.FindFirstValue(AppClaims.Mfa) == "true");
    }

    private static Task<MfaSetupResponse> SetupMfa(ClaimsPrincipal principal, TwoFactorEnrolment enrolment) => enrolment.StartAsync(principal.UserId());

    private static async Task<MfaEnabledResponse> EnableMfa(MfaCodeRequest request, ClaimsPrincipal principal, TwoFactorEnrolment enrolment, TokenService tokens, CancellationToken ct)
    {
        var (user, codes) = await enrolment.EnableAsync(principal.UserId(), request.Code);
        // Older tokens were issued without a second factor; this sign-in now has one.
        await tokens.RevokeAllAsync(user.Id, ct);
        return new MfaEnabledResponse(codes, await tokens.IssueAsync(user, mfa: true, ct));
    }

    internal static void ThrowIfFailed(IdentityResult result)
    {
        if (result.Succeeded) return;
        if (result.Errors.Any(e => e.Code is "DuplicateEmail" or "DuplicateUserName"))
            throw new ConflictException("An account with this e-mail address already exists.");
        if (result.Errors.Any(e => e.Code == "ConcurrencyFailure"))
            throw new ConflictException("The account was changed by another request; try again.");
        var errors = result.Errors
            .GroupBy(e => e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) ? "email" : "request")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray());
        throw new ValidationException(errors);
    }

    internal static MeResponse ToMe(AppUser user, bool mfa) => new(user.Id, user.Email, user.DisplayName, user.Role, user.TenantId, user.TwoFactorEnabled, mfa);

}
