using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>
/// Alerts as operators list them: their tenant's (administrators: every tenant's and the platform's, or one tenant's
/// with tenantId). Filters: status (open, acknowledged, resolved, or unresolved for the first two), kind, lotId, id, q.
/// </summary>
public sealed class AlertsTable(NpgsqlDataSource db) : DataTable<AlertView>(db)
{
    public static readonly TableDefinition<AlertView> Table = new("alerts", "Alerts",
    [
        new("openedAt", "Opened", a => a.OpenedAt, ColumnKind.Instant, "a.opened_at"),
        new("severity", "Severity", a => a.Severity, SortSql: "a.severity"),
        new("kind", "Kind", a => a.Kind, SortSql: "a.kind"),
        new("lotId", "Lot", a => a.LotId),
        new("title", "Alert", a => a.Title, SortSql: "a.title"),
        new("detail", "Detail", a => a.Detail),
        new("status", "Status", a => a.Status, SortSql: "a.status"),
        new("acknowledgedAt", "Acknowledged", a => a.AcknowledgedAt, ColumnKind.Instant, "a.acknowledged_at"),
        new("acknowledgedByName", "Acknowledged by", a => a.AcknowledgedByName),
        new("resolvedAt", "Resolved", a => a.ResolvedAt, ColumnKind.Instant, "a.resolved_at"),
        new("resolvedByName", "Resolved by", a => a.ResolvedByName),
        new("escalationLevel", "Escalation", a => a.EscalationLevel, ColumnKind.Number, "a.escalation_level"),
        new("id", "Id", a => a.Id),
    ], "openedAt", SortDirection.Descending, "a.id");

    public override TableDefinition<AlertView> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var args = new
        {
            scope = user.TenantScope(request.Guid("tenantId")),
            status = request.OneOf("status", [.. AlertStatuses.All, AlertStatuses.Unresolved]),
            kind = request.OneOf("kind", AlertKinds.All),
            lotId = request.Guid("lotId"),
            id = request.Guid("id"),
            q = SqlLike.Literal(request.Search),
        };
        return Task.FromResult(new TableSql(AlertStore.Columns, "from alerts a", """
            where (@scope::uuid is null or a.tenant_id = @scope)
              and (@status::text is null or a.status = @status or (@status = 'unresolved' and a.status <> 'resolved'))
              and (@kind::text is null or a.kind = @kind) and (@lotId::uuid is null or a.lot_id = @lotId) and (@id::uuid is null or a.id = @id)
              and (@q::text is null or a.title ilike '%' || @q || '%' or a.detail ilike '%' || @q || '%')
            """, args));
    }
}
