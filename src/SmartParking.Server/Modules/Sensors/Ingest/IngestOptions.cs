using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Sensors.Ingest;

public sealed class IngestOptions : IValidatableObject
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

    /// <summary>
    /// How often a sensor is expected to be heard from when neither it, its lot nor its kind says otherwise. A sensor is
    /// overdue (offline, its space unknown) after 2 × its interval + <see cref="OverdueGraceSeconds"/>: 90 s by default.
    /// </summary>
    [Range(SensorReporting.MinHeartbeatSeconds, SensorReporting.MaxHeartbeatSeconds)] public int HeartbeatSeconds { get; set; } = 30;

    /// <summary>Expected intervals by sensor kind (e.g. Ingest:HeartbeatSecondsByKind:camera = 600).</summary>
    public Dictionary<string, int> HeartbeatSecondsByKind { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The expected interval of a space fed without a registered sensor (a FIWARE agent): such feeds send changes only,
    /// so it is long; a lot's own setting overrides it.
    /// </summary>
    [Range(SensorReporting.MinHeartbeatSeconds, SensorReporting.MaxHeartbeatSeconds)] public int FeedHeartbeatSeconds { get; set; } = 21_600;

    /// <summary>Added to twice the interval for delays that do not grow with it (network, queues, clock skew).</summary>
    [Range(0, 86_400)] public int OverdueGraceSeconds { get; set; } = 30;

    [Range(1, 3600)] public int HealthSweepSeconds { get; set; } = 10;

    /// <summary>A sensor's last_seen_at is written at most this often; it only has to be good to well within the shortest overdue limit.</summary>
    [Range(0, 3600)] public int LastSeenWriteSeconds { get; set; } = 15;

    [Range(0, 100)] public int LowBatteryPercent { get; set; } = 20;

    /// <summary>Readings older than this are dropped with their daily partition.</summary>
    [Range(1, 3650)] public int RetentionDays { get; set; } = 90;

    /// <summary>
    /// Where a partition is archived (gzip'd CSV with a SHA-256 file) before it is dropped: unset, reading-archive under
    /// Database:DataDirectory; empty, no archive (partitions are dropped unarchived, with a warning).
    /// </summary>
    public string? ArchiveDirectory { get; set; }

    /// <summary>How far in the future an observation time may be (device clocks drift).</summary>
    [Range(0, 86_400)] public int MaxClockSkewSeconds { get; set; } = 300;

    /// <summary>How long an HTTP request waits for its readings to become durable before answering 503.</summary>
    [Range(1, 300)] public int HttpDurableTimeoutSeconds { get; set; } = 10;

    /// <summary>A write that has made no progress for this long makes the node report itself not ready.</summary>
    [Range(1, 3600)] public int StallSeconds { get; set; } = 30;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (kind, seconds) in HeartbeatSecondsByKind)
        {
            if (!SensorKinds.All.Contains(kind))
                yield return new ValidationResult($"Ingest:HeartbeatSecondsByKind: '{kind}' is not a sensor kind ({string.Join(", ", SensorKinds.All)}).");
            else if (seconds is < SensorReporting.MinHeartbeatSeconds or > SensorReporting.MaxHeartbeatSeconds)
                yield return new ValidationResult($"Ingest:HeartbeatSecondsByKind:{kind} must be between {SensorReporting.MinHeartbeatSeconds} and {SensorReporting.MaxHeartbeatSeconds}.");
        }
    }
}
