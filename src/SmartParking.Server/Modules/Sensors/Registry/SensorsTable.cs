using System.Security.Claims;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Sensors.Registry;

/// <summary>
/// The operator's sensors with their health, decided as everywhere else: offline when overdue by its expected interval
/// (<see cref="SensorReporting"/>), low battery at or under Ingest:LowBatteryPercent. Filters: lotId, kind, assigned,
/// health (online|offline|never_seen), offline (true = offline only), lowBattery, q (serial), tenantId (admins).
/// The lot's name comes from the lot catalogue (the Lots module's), so it shows but does not sort.
/// </summary>
public sealed class SensorsTable(NpgsqlDataSource db, IOptions<IngestOptions> ingest, SensorReporting reporting, TimeProvider time, LotCatalog lots) : DataTable<Sensor>(db)
{
    public static readonly TableDefinition<Sensor> Table = new("sensors", "Sensors",
    [
        new("serial", "Serial", s => s.Serial, SortSql: "se.serial"),
        new("kind", "Kind", s => s.Kind, SortSql: "se.kind"),
        new("lot", "Lot", s => s.LotName),
        new("space", "Space", s => s.SpaceLabel, SortSql: "length(sp.label), sp.label"),
        new("health", "Health", s => s.Health, SortSql: "se.last_seen_at"),
        new("batteryPercent", "Battery %", s => s.BatteryPercent is { } b ? (int)b : null, ColumnKind.Number, "se.battery_percent"),
        new("lowBattery", "Low battery", s => s.LowBattery, ColumnKind.Boolean),
        new("lastSeenAt", "Last seen", s => s.LastSeenAt, ColumnKind.Instant, "se.last_seen_at"),
        new("lastStatus", "Last status", s => s.LastStatus, SortSql: "ss.status"),
        new("lastObservedAt", "Last reading", s => s.LastObservedAt, ColumnKind.Instant, "ss.observed_at"),
        new("firmware", "Firmware", s => s.Firmware, SortSql: "se.firmware"),
        new("id", "Id", s => s.Id),
    ], "serial", SortDirection.Ascending, "se.id");

    public override TableDefinition<Sensor> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var kind = request.OneOf("kind", SensorKinds.All);
        var health = request.OneOf("health", ["online", "offline", "never_seen"]);
        if (request.Bool("offline") == true) health = "offline";
        var scope = user.TenantScope(request.Guid("tenantId"));
        return Task.FromResult(new TableSql(SensorSql.Columns, SensorSql.From, $"""
            where (@scope::uuid is null or se.tenant_id = @scope) and (@lotId::uuid is null or se.lot_id = @lotId)
              and (@kind::text is null or se.kind = @kind) and (@assigned::boolean is null or (se.space_id is not null) = @assigned)
              and (@q::text is null or se.serial ilike '%' || @q || '%')
              and (@health::text is null or @health = {SensorReporting.SensorHealth})
              and (@lowBattery::boolean is null or (coalesce(se.battery_percent, 101) <= @lowBatteryPercent) = @lowBattery)
            """, reporting.Parameters(new
        {
            scope, lotId = request.Guid("lotId"), kind, assigned = request.Bool("assigned"), q = SqlLike.Literal(request.Search), health,
            now = time.GetUtcNow(), lowBattery = request.Bool("lowBattery"), lowBatteryPercent = ingest.Value.LowBatteryPercent,
        })));
    }

    protected override async Task<IReadOnlyList<Sensor>> MapAsync(IReadOnlyList<Sensor> rows, CancellationToken ct)
    {
        var names = new Dictionary<Guid, string?>();
        foreach (var lotId in rows.Select(r => r.LotId).OfType<Guid>().Distinct())
            names[lotId] = (await lots.FindAsync(lotId, ct))?.Name;
        foreach (var row in rows)
        {
            row.WithLowBattery(ingest.Value.LowBatteryPercent);
            row.LotName = row.LotId is { } id ? names.GetValueOrDefault(id) : null;
        }
        return rows;
    }
}
