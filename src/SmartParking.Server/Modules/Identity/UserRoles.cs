using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity;

/// <summary>Role changes, which only platform admins may make (scoped: it uses the request's or circuit's UserManager).</summary>
public sealed class UserRoles(UserManager<AppUser> users, TokenService tokens, ITenants tenants, NpgsqlDataSource db, AuditLog audit)
{
    public async Task<UserSummary> ChangeRoleAsync(ClaimsPrincipal principal, Guid id, RoleChangeRequest request, CancellationToken ct)
    {
        // The endpoint's policy says the same; a dashboard page has no endpoint policy in front of it.
        if (!principal.IsAdmin()) throw new ForbiddenException("Only platform administrators change roles.");
        var v = new Validation().OneOf(request.Role, "role", Roles.All);
        if (request.Role == Roles.Operator && request.TenantId is null) v.Add("tenantId", "is required for operators.");
        v.ThrowIfInvalid();
        var user = await users.FindByIdAsync(id.ToString()) ?? throw new NotFoundException("User");
        var before = new { user.Role, user.TenantId };
        user.Role = request.Role!;
        user.TenantId = request.Role == Roles.Admin ? null : request.TenantId;
        if (user.TenantId is { } tenant && !await tenants.ExistsAsync(tenant, ct))
            throw new ValidationException("tenantId", "does not name an existing tenant.");
        AuthEndpoints.ThrowIfFailed(await users.UpdateAsync(user));
        await using var connection = await db.OpenConnectionAsync(ct);
        // Tokens carry the role, so every existing sign-in must re-authenticate.
        await tokens.RevokeAllAsync(user.Id, ct);
        await audit.RecordAsync(connection, null, principal, user.TenantId ?? before.TenantId, "role.changed", "user", user.Id, new { before, after = new { user.Role, user.TenantId } }, ct);
        return new UserSummary(user.Id, user.Email, user.DisplayName, user.Role, user.TenantId, user.TwoFactorEnabled, user.CreatedAt, user.LockoutEnd > DateTimeOffset.UtcNow);
    }
}
