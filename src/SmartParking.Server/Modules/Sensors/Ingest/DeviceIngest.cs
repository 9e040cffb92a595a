namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>What happened to one reading a device or gateway sent.</summary>
public readonly record struct ItemResult(IngestOutcome? Outcome, string? Error)
{
    public static ItemResult Rejected(string error) => new(null, error);
}

/// <summary>Turns device payloads into readings for the pipeline: the part MQTT, HTTP and FIWARE share.</summary>
public sealed class DeviceIngest(SensorDirectory directory, IngestPipeline pipeline, TimeProvider time)
{
    public SensorDirectory Directory => directory;
    public IngestPipeline Pipeline => pipeline;

    /// <summary>Resolves a sensor's reading to its space; the error says why it cannot be taken.</summary>
    public async ValueTask<(Reading Reading, string? Error)> ResolveAsync(string serial, ParsedReading parsed, ReadingSource source, Guid? requiredTenant, CancellationToken ct)
    {
        var sensor = await directory.FindAsync(serial, ct);
        if (sensor is null || (requiredTenant is { } tenant && sensor.TenantId != tenant)) return (default, $"sensor '{serial}' is not registered.");
        if (sensor.SpaceId is not { } spaceId || sensor.LotId is not { } lotId) return (default, $"sensor '{serial}' is not assigned to a space.");
        var now = time.GetUtcNow();
        var observedAt = parsed.ObservedAt ?? now;
        if (pipeline.CheckObservedAt(observedAt) is { } timeError) return (default, timeError);
        return (new Reading(spaceId, sensor.SensorId, sensor.TenantId, lotId, parsed.Status, observedAt, now, source), null);
    }

    public async ValueTask<(Reading Reading, string? Error)> ResolveSpotAsync(Guid tenantId, string entityId, ParsedReading parsed, ReadingSource source, CancellationToken ct)
    {
        var spot = await directory.FindSpotAsync(tenantId, entityId, ct);
        if (spot is null) return (default, $"no space has the FIWARE id '{entityId}'.");
        var now = time.GetUtcNow();
        var observedAt = parsed.ObservedAt ?? now;
        if (pipeline.CheckObservedAt(observedAt) is { } timeError) return (default, timeError);
        return (new Reading(spot.SpaceId, spot.SensorId, spot.TenantId, spot.LotId, parsed.Status, observedAt, now, source), null);
    }

    /// <summary>
    /// Queues readings for an HTTP caller and waits until they are durable; on failure says why (the caller answers
    /// 503). Readings that time out stay queued and are written later: a retry is safe because exact duplicates are dropped.
    /// </summary>
    public async Task<(IngestOutcome[]? Outcomes, string? Busy)> SubmitDurableAsync(IReadOnlyList<Reading> readings, TimeSpan timeout, CancellationToken ct)
    {
        if (!pipeline.TrySubmitBatch(readings, out var durable)) return (null, "The ingest queue is full; retry shortly.");
        IngestOutcome[] outcomes;
        try { outcomes = await durable.WaitAsync(timeout, ct); }
        catch (TimeoutException) { return (null, "The database is slow or unavailable; the readings are not yet durable. Retry shortly."); }
        return outcomes.Contains(IngestOutcome.Unavailable) ? (null, "The platform is shutting down; retry shortly.") : (outcomes, null);
    }
}
