using System.Security.Claims;
using Microsoft.AspNetCore.Identity;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// Whether a signed-in principal still stands for the account as it is now: not deleted or locked, same password
/// (security stamp), same role and tenant. Cookies and open dashboard circuits are checked against it.
/// </summary>
public static class AccountCheck
{
    public const string StampClaim = "stamp";

    public static async Task<bool> StillValidAsync(UserManager<AppUser> users, ClaimsPrincipal principal)
    {
        var user = Guid.TryParse(principal.FindFirstValue(AppClaims.Subject), out var id) ? await users.FindByIdAsync(id.ToString()) : null;
        return user is not null
            && user.SecurityStamp == principal.FindFirstValue(StampClaim)
            && user.Role == principal.FindFirstValue(AppClaims.Role)
            && user.TenantId?.ToString() == principal.FindFirstValue(AppClaims.Tenant)
            && !await users.IsLockedOutAsync(user);
    }
}
