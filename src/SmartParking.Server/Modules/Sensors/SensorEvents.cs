using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Sensors;

public sealed record SensorFacts(Guid SensorId, Guid TenantId, string Serial, Guid? LotId, Guid? SpaceId);

public abstract record SensorEvent(SensorFacts Sensor) : IDomainEvent
{
    public string AggregateId => Sensor.SensorId.ToString();
    public Guid? TenantId => Sensor.TenantId;
}

/// <summary>The sensor missed its reporting interval (twice, plus grace): its space is unknown until it reports.</summary>
public sealed record SensorWentOffline(SensorFacts Sensor, DateTimeOffset? LastSeenAt) : SensorEvent(Sensor);

/// <summary>An offline sensor reported again.</summary>
public sealed record SensorCameOnline(SensorFacts Sensor, DateTimeOffset At) : SensorEvent(Sensor);

/// <summary>A reading reported a battery at or under Ingest:LowBatteryPercent (once per crossing).</summary>
public sealed record SensorBatteryLow(SensorFacts Sensor, int BatteryPercent) : SensorEvent(Sensor);

/// <param name="StayStartedAt">
/// When the car's stay began: for a change to occupied the stay it starts (ObservedAt) or goes on with (after a spell of
/// unknown), for a change to free the stay that just ended; null when there is none (or in events from before it existed).
/// </param>
public sealed record SpaceStatusChange(Guid LotId, Guid SpaceId, string Status, DateTimeOffset ObservedAt, DateTimeOffset? StayStartedAt = null)
{
    /// <summary>A car arrived: the space became occupied by a new stay, not again after its sensor was offline.</summary>
    public bool IsArrival => Status == "occupied" && (StayStartedAt is null || StayStartedAt == ObservedAt);

    /// <summary>How long the car that just left stayed, when this is a departure whose arrival is known.</summary>
    public TimeSpan? EndedStay => Status == "free" && StayStartedAt is { } start ? ObservedAt - start : null;
}

/// <summary>
/// The spaces of one tenant whose status changed in one ingest batch or health sweep: one event per tenant per batch,
/// so the log grows with batches, not readings (a batch of 1,000 readings over a city's lots is one event). The live
/// availability feed does not wait for it; it is for rollups, alerts and integrators.
/// </summary>
public sealed record SpaceStatusChanged(Guid Tenant, IReadOnlyList<SpaceStatusChange> Spaces) : IDomainEvent
{
    public string AggregateId => Tenant.ToString();
    public Guid? TenantId => Tenant;
}

/// <summary>A gateway key was revoked: every node forgets it at once.</summary>
public sealed record GatewayKeyRevoked(Guid GatewayId, Guid Tenant) : IDomainEvent
{
    public string AggregateId => GatewayId.ToString();
    public Guid? TenantId => Tenant;
}

/// <summary>A lot's sensor reporting policy changed: availability reloads the lot, so confidence follows the new interval.</summary>
public sealed record SensorPolicyChanged(Guid LotId, Guid Tenant) : IDomainEvent
{
    public string AggregateId => LotId.ToString();
    public Guid? TenantId => Tenant;
}
