using System.Security.Claims;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity;

public static class AppClaims
{
    public const string Subject = "sub";
    public const string Email = "email";
    public const string Role = "role";
    public const string Tenant = "tenant";
    /// <summary>"true" when the token was obtained with a second factor.</summary>
    public const string Mfa = "mfa";
}

public static class ClaimsExtensions
{
    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(AppClaims.Subject), out var id) ? id : throw new UnauthorizedException("No user in the access token.");

    public static string? Email(this ClaimsPrincipal user) => user.FindFirstValue(AppClaims.Email);

    public static bool IsAdmin(this ClaimsPrincipal user) => user.FindFirstValue(AppClaims.Role) == Roles.Admin;

    public static Guid? TenantId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(AppClaims.Tenant), out var id) ? id : null;

    /// <summary>
    /// The tenant an operator request acts on: an operator's own tenant always; an admin's choice
    /// (null = every tenant, for reads).
    /// </summary>
    public static Guid? TenantScope(this ClaimsPrincipal user, Guid? requestedByAdmin = null) =>
        user.IsAdmin() ? requestedByAdmin : user.TenantId() ?? throw new ForbiddenException("Operator account is not bound to a tenant.");

    /// <summary>The tenant a new item is created in; admins must name it.</summary>
    public static Guid TenantForWrite(this ClaimsPrincipal user, Guid? requestedByAdmin) =>
        user.IsAdmin()
            ? requestedByAdmin ?? throw new ValidationException("tenantId", "is required for platform administrators.")
            : user.TenantId() ?? throw new ForbiddenException("Operator account is not bound to a tenant.");
}
