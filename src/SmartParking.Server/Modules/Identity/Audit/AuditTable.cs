using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Identity.Audit;

/// <summary>
/// Who changed what and when, for the operator's tenant. Filters: entityType, entityId, action, from/to, q (actor
/// e-mail or action), tenantId (admins).
/// </summary>
public sealed class AuditTable(NpgsqlDataSource db) : DataTable<AuditEntry>(db)
{
    public static readonly TableDefinition<AuditEntry> Table = new("audit", "Audit log",
    [
        new("at", "When", a => a.At, ColumnKind.Instant, "at"),
        new("actor", "Who", a => a.ActorEmail, SortSql: "actor_email"),
        new("action", "What", a => a.Action, SortSql: "action"),
        new("entityType", "Entity type", a => a.EntityType, SortSql: "entity_type"),
        new("entityId", "Entity", a => a.EntityId, SortSql: "entity_id"),
        new("changes", "Changes", a => a.ChangesJson),
        new("id", "Id", a => a.Id, ColumnKind.Number, "id"),
    ], "id", SortDirection.Descending, "id") { PersonalData = true };

    public override TableDefinition<AuditEntry> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var args = new
        {
            scope = user.TenantScope(request.Guid("tenantId")), entityType = request.Text("entityType", 50), entityId = request.Text("entityId", 200),
            action = request.Text("action", 100), from = request.Instant("from"), to = request.Instant("to"), q = SqlLike.Literal(request.Search),
        };
        return Task.FromResult(new TableSql(
            "select id, tenant_id, actor_id, actor_email, action, entity_type, entity_id, changes::text as changes_json, at", "from audit_log", """
            where (@scope::uuid is null or tenant_id = @scope) and (@entityType::text is null or entity_type = @entityType)
              and (@entityId::text is null or entity_id = @entityId) and (@action::text is null or action = @action)
              and (@from::timestamptz is null or at >= @from) and (@to::timestamptz is null or at < @to)
              and (@q::text is null or actor_email ilike '%' || @q || '%' or action ilike '%' || @q || '%')
            """, args));
    }
}
