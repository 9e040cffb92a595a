namespace SmartParking.Server.Modules.Sensors;

/// <summary>A sensor as an alert names it: its serial, the space it is on and its last battery level.</summary>
public sealed record SensorBrief(string Serial, string? SpaceLabel, short? BatteryPercent);

/// <summary>
/// One lot's sensors that need attention now: the offline ones (heard before, now silent past their overdue limit;
/// never-seen sensors are not counted, as a new installation is not an outage) and those at or under
/// LowBatteryPercent (Ingest:LowBatteryPercent). Sensors counts every sensor on the lot.
/// </summary>
public sealed record LotSensorAttention(Guid TenantId, Guid LotId, int Sensors, IReadOnlyList<SensorBrief> Offline, IReadOnlyList<SensorBrief> LowBattery, int LowBatteryPercent);

/// <summary>Sensors needing attention, across tenants (for the operator alert rules).</summary>
public interface ISensorAttention
{
    /// <summary>Every lot with an offline sensor or a low battery now, in one query whatever the number of sensors.</summary>
    Task<IReadOnlyList<LotSensorAttention>> AttentionByLotAsync(CancellationToken ct);
}

/// <summary>This node's ingest queue: readings waiting to be written, and the bound at which new ones are refused.</summary>
public sealed record IngestBacklog(long QueuedReadings, int MaxQueuedReadings);

/// <summary>The ingest pipeline's queue depth on this node (each node has its own queue).</summary>
public interface IIngestBacklog
{
    IngestBacklog Current();
}

/// <summary>A lot's sensors now: how many, and how many are online (heard within their overdue limit).</summary>
public sealed record LotSensorUptime(Guid LotId, int Sensors, int Online);

/// <summary>Lots' sensor counts and online counts, for the analytics uptime rollup.</summary>
public interface ISensorUptime
{
    /// <summary>The given lots' (one query through the tenant's sensor index); lots without sensors are left out.</summary>
    Task<IReadOnlyList<LotSensorUptime>> UptimeByLotAsync(IReadOnlyCollection<(Guid TenantId, Guid LotId)> lots, CancellationToken ct);
}
