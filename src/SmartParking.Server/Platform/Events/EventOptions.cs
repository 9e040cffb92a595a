using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Platform.Events;

public sealed class EventOptions
{
    public const string Section = "Events";

    /// <summary>How often the log is read when no wake-up arrives (a lost notice costs at most this much delay).</summary>
    [Range(50, 60_000)]
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>Events read per subscriber per round.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 2000;

    /// <summary>
    /// The longest a subscriber handles events in one round before the others get their turn: a slow handler (one with
    /// a query per event) then lags on its own instead of delaying every subscriber by a whole batch.
    /// </summary>
    [Range(10, 60_000)]
    public int SliceMilliseconds { get; set; } = 200;

    /// <summary>Attempts of a durable subscriber's handler before the event goes to the dead-letter list.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; each next one doubles it (with jitter), up to MaxRetrySeconds.</summary>
    [Range(1, 3600)]
    public int FirstRetrySeconds { get; set; } = 2;

    [Range(1, 86_400)]
    public int MaxRetrySeconds { get; set; } = 600;

    /// <summary>Days delivered events stay in the log (for replay and late subscribers) before they are deleted.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 7;

    /// <summary>Hours events of types no subscriber takes (ingest's SpaceStatusChanged when rollups are off) stay, for looking into, before they are deleted.</summary>
    [Range(1, 87_600)]
    public int UnreadRetentionHours { get; set; } = 1;
}
