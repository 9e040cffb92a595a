using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// The web pages sign in with a cookie; the API only ever accepts bearer tokens, so a page's cookie can never be
/// used to call the API from another site (no CSRF surface on the API).
/// </summary>
public static class WebCookie
{
    public const string Scheme = "web";
    public const string BearerOrCookie = "bearer-or-cookie";
    public const string LoginPath = "/account/login";
    public const string LogoutPath = "/account/logout";
    public const string DeniedPath = "/account/denied";
    private const string CheckedAt = ".checked";
    /// <summary>How long a cookie is trusted before the account is looked up again (deleted, locked, role changed, password changed).</summary>
    private static readonly TimeSpan RecheckEvery = TimeSpan.FromMinutes(1);

    public static AuthenticationBuilder AddBearerOrCookie(this IServiceCollection services) =>
        services.AddAuthentication(BearerOrCookie)
            .AddPolicyScheme(BearerOrCookie, "Bearer for the API, cookie for pages", o => o.ForwardDefaultSelector = http =>
                http.Request.Path.StartsWithSegments("/api") || http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme
                    : Scheme)
            .AddCookie(Scheme, o =>
            {
                o.Cookie.Name = "sp_auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.LoginPath = LoginPath;
                o.LogoutPath = LogoutPath;
                o.AccessDeniedPath = DeniedPath;
                o.Events.OnValidatePrincipal = RecheckAccountAsync;
            });

    /// <summary>Sign-out is a POST with an antiforgery token, so another site cannot sign a visitor out.</summary>
    public static void MapWebSignOut(this IEndpointRouteBuilder app) =>
        app.MapPost(LogoutPath, async (HttpContext http, IAntiforgery antiforgery) =>
            {
                // Checked here: the antiforgery middleware only flags a bad token, and this endpoint binds no form to refuse it.
                if (!await antiforgery.IsRequestValidAsync(http))
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The sign-out form is missing its antiforgery token.");
                await http.SignOutAsync(Scheme);
                return Results.LocalRedirect("/");
            })
            .DisableAntiforgery()
            .ExcludeFromDescription();

    /// <summary>The same claims an access token carries, plus the security stamp so a password change signs the cookie out.</summary>
    public static ClaimsPrincipal Principal(AppUser user, bool secondFactor)
    {
        var claims = new List<Claim>
        {
            new(AppClaims.Subject, user.Id.ToString()),
            new(AppClaims.Email, user.Email),
            new(AppClaims.Role, user.Role),
            new(AppClaims.Mfa, secondFactor ? "true" : "false"),
            new(AccountCheck.StampClaim, user.SecurityStamp),
        };
        if (user.TenantId is { } tenant) claims.Add(new Claim(AppClaims.Tenant, tenant.ToString()));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, AppClaims.Email, AppClaims.Role));
    }

    private static async Task RecheckAccountAsync(CookieValidatePrincipalContext context)
    {
        var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        if (context.Properties.Items.TryGetValue(CheckedAt, out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var checkedAt)
            && now - checkedAt < RecheckEvery)
            return;

        var users = context.HttpContext.RequestServices.GetRequiredService<UserManager<AppUser>>();
        if (!await AccountCheck.StillValidAsync(users, context.Principal!))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }
        context.Properties.Items[CheckedAt] = now.ToString("O", CultureInfo.InvariantCulture);
        context.ShouldRenew = true;
    }
}
