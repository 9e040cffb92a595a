namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>A sensor whose state a write moved, as the statement returns it, for building its events.</summary>
internal sealed class SensorChange
{
    public Guid SensorId { get; init; }
    public Guid TenantId { get; init; }
    public string Serial { get; init; } = "";
    public Guid? LotId { get; init; }
    public Guid? SpaceId { get; init; }
    /// <summary>When it was heard (back online), or last heard (gone offline).</summary>
    public DateTimeOffset? At { get; init; }
    public bool CameOnline { get; init; }
    public bool BatteryLow { get; init; }
    public short? BatteryPercent { get; init; }

    public SensorFacts Facts() => new(SensorId, TenantId, Serial, LotId, SpaceId);
}

/// <summary>A space whose status an ingest batch changed.</summary>
internal sealed class ChangedSpace
{
    public Guid SpaceId { get; init; }
    public Guid LotId { get; init; }
    public Guid TenantId { get; init; }
    public short Status { get; init; }
    public DateTimeOffset ChangedAt { get; init; }
    /// <summary>When the stay on the space began: the current one, or for a change to free the one that just ended.</summary>
    public DateTimeOffset? StayStartedAt { get; init; }
}
