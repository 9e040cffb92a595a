using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// The users of the operator's tenant (drivers have no tenant, so an operator sees its staff). Filters: role,
/// twoFactor, locked, q (a whole e-mail address, or part of a name), tenantId (admins). Locked means a lockout that has not
/// yet ended. Addresses are sealed at rest, so they are found by their blind index (a whole address) and cannot be sorted.
/// </summary>
public sealed class UsersTable(NpgsqlDataSource db, TimeProvider time, FieldProtector protector) : DataTable<UsersTable.Row, UserSummary>(db)
{
    public static readonly TableDefinition<UserSummary> Table = new("users", "Users",
    [
        new("email", "E-mail", u => u.Email),
        new("displayName", "Name", u => u.DisplayName, SortSql: "display_name"),
        new("role", "Role", u => u.Role, SortSql: "role"),
        new("twoFactorEnabled", "Two-factor", u => u.TwoFactorEnabled, ColumnKind.Boolean, "two_factor_enabled"),
        new("locked", "Locked", u => u.Locked, ColumnKind.Boolean, "coalesce(lockout_end > @now, false)"),
        new("createdAt", "Created", u => u.CreatedAt, ColumnKind.Instant, "created_at"),
        new("id", "Id", u => u.Id),
    ], "createdAt", SortDirection.Descending, "id") { PersonalData = true };

    public override TableDefinition<UserSummary> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var args = new
        {
            scope = user.TenantScope(request.Guid("tenantId")), role = request.OneOf("role", Roles.All), q = SqlLike.Literal(request.Search),
            emailIndex = request.Search is { } search ? protector.BlindIndex(UserFields.NormaliseEmail(search.Trim()), UserFields.Email) : null,
            normalizedEmail = request.Search is { } typed ? UserFields.NormaliseEmail(typed.Trim()) : null,
            twoFactor = request.Bool("twoFactor"), locked = request.Bool("locked"), now = time.GetUtcNow(),
        };
        return Task.FromResult(new TableSql("select id, email, email_encrypted, display_name, role, tenant_id, two_factor_enabled, created_at, coalesce(lockout_end > @now, false) as locked",
            "from users", """
            where (@scope::uuid is null or tenant_id = @scope) and (@role::text is null or role = @role)
              and (@q::text is null or email_index = @emailIndex or normalized_email = @normalizedEmail or display_name ilike '%' || @q || '%')
              and (@twoFactor::boolean is null or two_factor_enabled = @twoFactor)
              and (@locked::boolean is null or coalesce(lockout_end > @now, false) = @locked)
            """, args));
    }

    protected override Task<IReadOnlyList<UserSummary>> MapAsync(IReadOnlyList<Row> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<UserSummary>>(rows.Select(u => new UserSummary(u.Id, protector.Reveal(u.EmailEncrypted, u.Email, UserFields.Email) ?? "", u.DisplayName, u.Role, u.TenantId, u.TwoFactorEnabled, u.CreatedAt, u.Locked)).ToList());

    public sealed class Row
    {
        public Guid Id { get; init; }
        public string? Email { get; init; }
        public byte[]? EmailEncrypted { get; init; }
        public string? DisplayName { get; init; }
        public string Role { get; init; } = "";
        public Guid? TenantId { get; init; }
        public bool TwoFactorEnabled { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public bool Locked { get; init; }
    }
}
