namespace SmartParking.Server.Modules.Demo;

public sealed class DemoOptions
{
    public const string Section = "Demo";

    /// <summary>Seed the demo city into an empty database (on in Development).</summary>
    public bool Seed { get; set; }

    /// <summary>Demo sensor changes a second fed through the ingest pipeline so the demo looks alive (0 = a starting state only, then still).</summary>
    public int LiveReadingsPerSecond { get; set; } = 5;

    /// <summary>Days of past occupancy, prices, stays and payments given to a newly seeded city (0 = none), so the charts start full.</summary>
    public int HistoryDays { get; set; } = 7;
}
