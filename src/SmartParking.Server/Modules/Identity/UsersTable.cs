using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// The users of the operator's tenant (drivers have no tenant, so an operator sees its staff). Filters: role,
/// twoFactor, locked, q (e-mail or name), tenantId (admins). Locked means a lockout that has not yet ended.
/// </summary>
public sealed class UsersTable(NpgsqlDataSource db, TimeProvider time) : DataTable<UsersTable.Row, UserSummary>(db)
{
    public static readonly TableDefinition<UserSummary> Table = new("users", "Users",
    [
        new("email", "E-mail", u => u.Email, SortSql: "email"),
        new("displayName", "Name", u => u.DisplayName, SortSql: "display_name"),
        new("role", "Role", u => u.Role, SortSql: "role"),
        new("twoFactorEnabled", "Two-factor", u => u.TwoFactorEnabled, ColumnKind.Boolean, "two_factor_enabled"),
        new("locked", "Locked", u => u.Locked, ColumnKind.Boolean, "coalesce(lockout_end > @now, false)"),
        new("createdAt", "Created", u => u.CreatedAt, ColumnKind.Instant, "created_at"),
        new("id", "Id", u => u.Id),
    ], "email", SortDirection.Ascending, "id") { PersonalData = true };

    public override TableDefinition<UserSummary> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var args = new
        {
            scope = user.TenantScope(request.Guid("tenantId")), role = request.OneOf("role", Roles.All), q = SqlLike.Literal(request.Search),
            twoFactor = request.Bool("twoFactor"), locked = request.Bool("locked"), now = time.GetUtcNow(),
        };
        return Task.FromResult(new TableSql("select id, email, display_name, role, tenant_id, two_factor_enabled, created_at, coalesce(lockout_end > @now, false) as locked",
            "from users", """
            where (@scope::uuid is null or tenant_id = @scope) and (@role::text is null or role = @role)
              and (@q::text is null or email ilike '%' || @q || '%' or display_name ilike '%' || @q || '%')
              and (@twoFactor::boolean is null or two_factor_enabled = @twoFactor)
              and (@locked::boolean is null or coalesce(lockout_end > @now, false) = @locked)
            """, args));
    }

    protected override Task<IReadOnlyList<UserSummary>> MapAsync(IReadOnlyList<Row> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<UserSummary>>(rows.Select(u => new UserSummary(u.Id, u.Email, u.DisplayName, u.Role, u.TenantId, u.TwoFactorEnabled, u.CreatedAt, u.Locked)).ToList());

    public sealed class Row
    {
        public Guid Id { get; init; }
        public string Email { get; init; } = "";
        public string? DisplayName { get; init; }
        public string Role { get; init; } = "";
        public Guid? TenantId { get; init; }
        public bool TwoFactorEnabled { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public bool Locked { get; init; }
    }
}
