using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Identity;

public sealed record UserSummary(Guid Id, string Email, string? DisplayName, string Role, Guid? TenantId, bool TwoFactorEnabled, DateTimeOffset CreatedAt);
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

    private static async Task<Page<UserSummary>> List(ClaimsPrincipal principal, NpgsqlDataSource db, int? page, int? pageSize, string? role, string? q, Guid? tenantId, CancellationToken ct)
    {
        var paging = Paging.From(page, pageSize);
        new Validation().OneOf(role, "role", Roles.All, required: false).MaxLength(q, "q", 100).ThrowIfInvalid();
        var scope = principal.TenantScope(tenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        const string where = "where (@scope::uuid is null or tenant_id = @scope) and (@role::text is null or role = @role) and (@q::text is null or email ilike '%' || @q || '%')";
        var args = new { scope, role, q = SqlLike.Literal(q), paging.PageSize, paging.Offset };
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) from users {where}", args, cancellationToken: ct));
        var items = await connection.QueryAsync<UserRow>(new CommandDefinition(
            $"select id, email, display_name, role, tenant_id, two_factor_enabled, created_at from users {where} order by email limit @PageSize offset @Offset", args, cancellationToken: ct));
        return new Page<UserSummary>(items.Select(u => u.ToSummary()).ToList(), paging.Page, paging.PageSize, total);
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
        return new UserSummary(user.Id, user.Email, user.DisplayName, user.Role, user.TenantId, user.TwoFactorEnabled, user.CreatedAt);
    }

    private sealed class UserRow
    {
        public Guid Id { get; init; }
        public string Email { get; init; } = "";
        public string? DisplayName { get; init; }
        public string Role { get; init; } = "";
        public Guid? TenantId { get; init; }
        public bool TwoFactorEnabled { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public UserSummary ToSummary() => new(Id, Email, DisplayName, Role, TenantId, TwoFactorEnabled, CreatedAt);
    }
}
