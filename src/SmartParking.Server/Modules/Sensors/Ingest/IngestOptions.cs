using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Sensors.Ingest;

public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Readings waiting to be written before MQTT stops acknowledging and HTTP answers 503.</summary>
    [Range(1000, 10_000_000)] public int MaxQueuedReadings { get; set; } = 200_000;

    /// <summary>Readings written per database round trip (binary COPY).</summary>
    [Range(1, 100_000)] public int MaxBatchSize { get; set; } = 10_000;

    [Range(1, 10_000)] public int MaxHttpBatch { get; set; } = 1000;

    /// <summary>
    /// Batches written at once, each on its own connection. Two let one batch's COPY overlap the other's state update
    /// (which every writer on every node takes in turn), so the database's second core is used.
    /// </summary>
    [Range(1, 8)] public int Writers { get; set; } = 2;

    /// <summary>A change of status within this time of the previous change is treated as flapping and not shown (0 = off).</summary>
    [Range(0, 3600)] public double DebounceSeconds { get; set; }

    /// <summary>A sensor silent for longer is offline and its space's status becomes unknown (default 3 × 30 s).</summary>
    [Range(5, 86_400)] public int OfflineAfterSeconds { get; set; } = 90;

    [Range(1, 3600)] public int HealthSweepSeconds { get; set; } = 10;

    /// <summary>A sensor's last_seen_at is written at most this often; it only has to be good to well within OfflineAfterSeconds.</summary>
    [Range(0, 3600)] public int LastSeenWriteSeconds { get; set; } = 15;

    [Range(0, 100)] public int LowBatteryPercent { get; set; } = 20;

    /// <summary>Readings older than this are dropped with their daily partition.</summary>
    [Range(1, 3650)] public int RetentionDays { get; set; } = 90;

    /// <summary>How far in the future an observation time may be (device clocks drift).</summary>
    [Range(0, 86_400)] public int MaxClockSkewSeconds { get; set; } = 300;

    /// <summary>How long an HTTP request waits for its readings to become durable before answering 503.</summary>
    [Range(1, 300)] public int HttpDurableTimeoutSeconds { get; set; } = 10;

    /// <summary>A write that has made no progress for this long makes the node report itself not ready.</summary>
    [Range(1, 3600)] public int StallSeconds { get; set; } = 30;
}
