using SmartParking.Server.Modules.Lots;
using System.Security.Claims;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Sensors;

/// <summary>A sensor's facts with its health, and its reading history, in the caller's tenant (REST and dashboard).</summary>
public sealed class SensorService(NpgsqlDataSource db, IOptions<IngestOptions> ingest, SensorReporting reporting, TimeProvider time) : ISensorAttention, ISensorUptime
{
    public static readonly TimeSpan MaxReadingsWindow = TimeSpan.FromDays(31);

    public async Task<Sensor> GetAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await FindAsync(connection, null, id, principal.TenantScope(), ct)).WithLowBattery(ingest.Value.LowBatteryPercent);
    }

    /// <summary>
    /// What the sensor reported on the space it is on, newest first (24 hours unless a window is given). Read through the
    /// space's index: an index on the sensor as well would slow every ingest batch for a page operators open rarely.
    /// </summary>
    public async Task<IReadOnlyList<SensorReading>> ReadingsAsync(ClaimsPrincipal principal, Guid id, DateTimeOffset? from, DateTimeOffset? to, int? limit, CancellationToken ct)
    {
        new Validation().Instant(from, "from").Instant(to, "to").ThrowIfInvalid();
        // In UTC: a time given with another offset is the same instant, and timestamptz parameters take only UTC.
        var until = (to ?? time.GetUtcNow()).ToUniversalTime();
        var since = (from ?? until.AddDays(-1)).ToUniversalTime();
        new Validation()
            .Check(since < until, "from", "must be before to.")
            .Check(until - since <= MaxReadingsWindow, "from", "the window is at most 31 days.")
            .Check(limit is null or (>= 1 and <= 5000), "limit", "must be between 1 and 5000.")
            .ThrowIfInvalid();
        await using var connection = await db.OpenConnectionAsync(ct);
        var sensor = await FindAsync(connection, null, id, principal.TenantScope(), ct);
        if (sensor.SpaceId is null) return [];
        var rows = await connection.QueryAsync<(DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, short Status, short Source)>(new CommandDefinition("""
            select observed_at, received_at, status, source from sensor_readings
            where space_id = @SpaceId and sensor_id = @Id and observed_at >= @since and observed_at < @until
            order by observed_at desc limit @limit
            """, new { sensor.SpaceId, sensor.Id, since, until, limit = limit ?? 500 }, cancellationToken: ct));
        return rows.Select(r => new SensorReading(r.ObservedAt, r.ReceivedAt, ((SpaceStatus)r.Status).Name(), SourceName((ReadingSource)r.Source))).ToList();
    }

    public async Task<IReadOnlyList<LotSensorAttention>> AttentionByLotAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid TenantId, Guid LotId, int Sensors, string Serial, string? SpaceLabel, short? BatteryPercent, bool Offline, bool LowBattery)>(
            new CommandDefinition($"""
                with flagged as (
                    select se.tenant_id, se.lot_id, se.serial, se.space_id, se.battery_percent,
                           {SensorReporting.SensorHealth} = 'offline' as offline, coalesce(se.battery_percent <= @lowBatteryPercent, false) as low_battery
                    from sensors se {SensorReporting.SensorJoins}
                    where se.lot_id is not null),
                attention as (select * from flagged where offline or low_battery),
                -- Counted, and the space labels read, only for the lots with a sensor to report: usually none of them.
                counts as (select c.lot_id, count(*)::int as sensors from sensors c where c.lot_id in (select lot_id from attention) group by c.lot_id)
                select a.tenant_id, a.lot_id, n.sensors, a.serial, sp.label, a.battery_percent, a.offline, a.low_battery
                from attention a join counts n on n.lot_id = a.lot_id {LotsSql.SpaceJoin("a.space_id", "sp", left: true)}
                order by a.lot_id, a.serial
                """, reporting.Parameters(new { now = time.GetUtcNow(), lowBatteryPercent = ingest.Value.LowBatteryPercent }), cancellationToken: ct));
        return rows.GroupBy(r => r.LotId).Select(g => new LotSensorAttention(g.First().TenantId, g.Key, g.First().Sensors,
            g.Where(r => r.Offline).Select(r => new SensorBrief(r.Serial, r.SpaceLabel, r.BatteryPercent)).ToList(),
            g.Where(r => r.LowBattery).Select(r => new SensorBrief(r.Serial, r.SpaceLabel, r.BatteryPercent)).ToList(), ingest.Value.LowBatteryPercent)).ToList();
    }

    public async Task<IReadOnlyList<LotSensorUptime>> UptimeByLotAsync(IReadOnlyCollection<(Guid TenantId, Guid LotId)> lots, CancellationToken ct)
    {
        if (lots.Count == 0) return [];
        await using var connection = await db.OpenConnectionAsync(ct);
        // Tenant and lot both bounded, so the (tenant_id, lot_id) index reads the lots' sensors only.
        return (await connection.QueryAsync<LotSensorUptime>(new CommandDefinition($"""
            select se.lot_id, count(*)::int as sensors, count(*) filter (where {SensorReporting.SensorHealth} = 'online')::int as online
            from sensors se {SensorReporting.SensorJoins}
            where se.tenant_id = any(@tenants) and se.lot_id = any(@lotIds)
            group by se.lot_id
            """, reporting.Parameters(new { now = time.GetUtcNow(), tenants = lots.Select(l => l.TenantId).Distinct().ToArray(), lotIds = lots.Select(l => l.LotId).ToArray() }),
            cancellationToken: ct))).ToList();
    }

    /// <summary>The sensor in the tenant (any for null), with its health by the reporting rule now.</summary>
    internal async Task<Sensor> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid id, Guid? scope, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<Sensor>(new CommandDefinition(
            $"{SensorSql.Select} where se.id = @id and (@scope::uuid is null or se.tenant_id = @scope)",
            reporting.Parameters(new { id, scope, now = time.GetUtcNow() }), tx, cancellationToken: ct))
        ?? throw new NotFoundException("Sensor");

    private static string SourceName(ReadingSource source) => source switch
    {
        ReadingSource.Mqtt => "mqtt",
        ReadingSource.Http => "http",
        ReadingSource.NgsiLd => "ngsi-ld",
        _ => "ngsi-v2",
    };
}
