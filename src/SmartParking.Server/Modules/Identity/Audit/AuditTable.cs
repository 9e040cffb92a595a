using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Identity.Audit;

/// <summary>
/// Who changed what and when, for the operator's tenant. Filters: entityType, entityId (a plate however it is typed),
/// action, from/to, q (part of the action, or the actor's whole e-mail address), tenantId (admins). Actors' addresses and
/// plates are sealed at rest, so they are found by their blind index, and actors cannot be sorted.
/// </summary>
public sealed class AuditTable(NpgsqlDataSource db, FieldProtector protector) : DataTable<AuditTable.Row, AuditEntry>(db)
{
    public static readonly TableDefinition<AuditEntry> Table = new("audit", "Audit log",
    [
        new("at", "When", a => a.At, ColumnKind.Instant, "at"),
        new("actor", "Who", a => a.ActorEmail),
        new("action", "What", a => a.Action, SortSql: "action"),
        new("entityType", "Entity type", a => a.EntityType, SortSql: "entity_type"),
        new("entityId", "Entity", a => a.EntityId, SortSql: "entity_id"),
        new("changes", "Changes", a => a.ChangesJson),
        new("id", "Id", a => a.Id, ColumnKind.Number, "id"),
    ], "id", SortDirection.Descending, "id") { PersonalData = true };

    public override TableDefinition<AuditEntry> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var entityId = request.Text("entityId", 200);
        var args = new
        {
            scope = user.TenantScope(request.Guid("tenantId")), entityType = request.Text("entityType", 50), entityId,
            action = request.Text("action", 100), from = request.Instant("from"), to = request.Instant("to"), q = SqlLike.Literal(request.Search),
            actorIndex = request.Search is { } search ? AuditFields.ActorIndex(protector, search) : null,
            actorClear = request.Search is { } typed ? UserFields.NormaliseEmail(typed) : null,
            entityIndex = Plates.IsValid(entityId) ? AuditFields.PlateIndex(protector, entityId!) : null,
        };
        return Task.FromResult(new TableSql(
            """
            select id, tenant_id, actor_id, actor_email, actor_email_encrypted, action, entity_type, entity_id, entity_id_encrypted,
                   changes::text as changes_json, changes_encrypted, at
            """, "from audit_log", """
            where (@scope::uuid is null or tenant_id = @scope) and (@entityType::text is null or entity_type = @entityType)
              and (@entityId::text is null or entity_id = @entityId or entity_id_index = @entityIndex) and (@action::text is null or action = @action)
              and (@from::timestamptz is null or at >= @from) and (@to::timestamptz is null or at < @to)
              and (@q::text is null or action ilike '%' || @q || '%' or actor_email_index = @actorIndex or upper(actor_email) = @actorClear)
            """, args));
    }

    protected override Task<IReadOnlyList<AuditEntry>> MapAsync(IReadOnlyList<Row> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<AuditEntry>>(rows.Select(r => new AuditEntry
        {
            Id = r.Id, TenantId = r.TenantId, ActorId = r.ActorId, ActorEmail = protector.Reveal(r.ActorEmailEncrypted, r.ActorEmail, AuditFields.ActorEmail),
            Action = r.Action, EntityType = r.EntityType, EntityId = protector.Reveal(r.EntityIdEncrypted, r.EntityId, AuditFields.EntityId) ?? "",
            ChangesJson = protector.Reveal(r.ChangesEncrypted, r.ChangesJson, AuditFields.Changes), At = r.At,
        }).ToList());

    /// <summary>An entry as stored: what names a person sealed, or (written before encryption, and not swept yet) still in clear.</summary>
    public sealed class Row
    {
        public long Id { get; init; }
        public Guid? TenantId { get; init; }
        public Guid? ActorId { get; init; }
        public string? ActorEmail { get; init; }
        public byte[]? ActorEmailEncrypted { get; init; }
        public string Action { get; init; } = "";
        public string EntityType { get; init; } = "";
        public string? EntityId { get; init; }
        public byte[]? EntityIdEncrypted { get; init; }
        public string? ChangesJson { get; init; }
        public byte[]? ChangesEncrypted { get; init; }
        public DateTimeOffset At { get; init; }
    }
}
