using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Identity;

public sealed record UserSummary(Guid Id, string Email, string? DisplayName, string Role, Guid? TenantId, bool TwoFactorEnabled, DateTimeOffset CreatedAt, bool Locked = false);
public sealed record RoleChangeRequest(string? Role, Guid? TenantId);

/// <summary>Platform admins manage roles; operators see the users of their own tenant.</summary>
public static class UserAdminEndpoints
{
    public static void MapUserAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/manage/users").WithTags("Users").RequireAuthorization(Policies.Operator);
        users.MapGet("/", List);
        users.MapPut("/{id:guid}/role", ChangeRole).RequireAuthorization(Policies.Admin);
    }

    private static Task<Page<UserSummary>> List(ClaimsPrincipal principal, UsersTable table, int? page, int? pageSize, string? sort, string? dir,
        string? role, string? q, bool? twoFactor, bool? locked, Guid? tenantId, CancellationToken ct)
    {
        new Validation().MaxLength(q, "q", 100).ThrowIfInvalid();
        return table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q).With("tenantId", tenantId).With("role", role)
            .With("twoFactor", twoFactor).With("locked", locked), ct);
    }

    private static async Task<UserSummary> ChangeRole(Guid id, RoleChangeRequest request, ClaimsPrincipal principal, UserManager<AppUser> users, TokenService tokens, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().OneOf(request.Role, "role", Roles.All);
        if (request.Role == Roles.Operator && request.TenantId is null) v.Add("tenantId", "is required for operators.");
        v.ThrowIfInvalid();
        var user = await users.FindByIdAsync(id.ToString()) ?? throw new NotFoundException("User");
        var before = new { user.Role, user.TenantId };
        user.Role = request.Role!;
        user.TenantId = request.Role == Roles.Admin ? null : request.TenantId;
        await using var connection = await db.OpenConnectionAsync(ct);
        if (user.TenantId is { } tenant && await connection.ExecuteScalarAsync<int>(new CommandDefinition("select count(*) from tenants where id = @tenant", new { tenant }, cancellationToken: ct)) == 0)
            throw new ValidationException("tenantId", "does not name an existing tenant.");
        AuthEndpoints.ThrowIfFailed(await users.UpdateAsync(user));
        // Tokens carry the role, so every existing sign-in must re-authenticate.
        await tokens.RevokeAllAsync(user.Id, ct);
        await AuditLog.RecordAsync(connection, null, principal, user.TenantId ?? before.TenantId, "role.changed", "user", user.Id, new { before, after = new { user.Role, user.TenantId } }, ct);
        return new UserSummary(user.Id, user.Email, user.DisplayName, user.Role, user.TenantId, user.TwoFactorEnabled, user.CreatedAt, user.LockoutEnd > DateTimeOffset.UtcNow);
    }
}
