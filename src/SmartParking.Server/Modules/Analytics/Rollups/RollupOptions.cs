using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Analytics.Rollups;

public sealed class RollupOptions
{
    public const string Section = "Analytics:Rollups";

    /// <summary>Off: no event subscriber and no sampling (the ingest bench compares throughput with and without).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How often the job adds ingest's kept status batches to the rollups (BI reads turnover and dwell this late at
    /// most; the rollups API counts before it answers).
    /// </summary>
    [Range(1, 60)]
    public int CountEveryMinutes { get; set; } = 5;

    /// <summary>
    /// Lots sampled, and lots written, per slice of the minute sample and of its write; the job pauses after each slice twice as long as it took, so
    /// a big city's sample never holds a core long enough to stall requests.
    /// </summary>
    [Range(1, 100_000)]
    public int LotsPerSlice { get; set; } = 100;

    /// <summary>
    /// How many minutes of samples are added up in memory before they are written (in blocks of the hour). A write costs
    /// a row per lot, zone and space type, however many minutes it holds: written every minute, a city of 10,000 lots kept
    /// PostgreSQL busy for a quarter of every minute. Occupancy in the rollups is this late at most.
    /// </summary>
    [Range(1, 60)]
    public int WriteSamplesEveryMinutes { get; set; } = 5;

    /// <summary>How long the facts behind the rollups are kept; an event about an older hour no longer changes it.</summary>
    [Range(2, 3650)]
    public int FactRetentionDays { get; set; } = 40;

    /// <summary>Analytics:RollupRetentionYears: how long hourly and daily rollups are kept.</summary>
    public const string RetentionYearsKey = "Analytics:RollupRetentionYears";

    public const int DefaultRetentionYears = 7;
}
