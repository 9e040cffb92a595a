using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Analytics.History;

public sealed class HistoryImportOptions
{
    public const string Section = "Analytics";

    /// <summary>
    /// The largest occupancy history file accepted, in bytes; a bigger one is refused with 413 before it is parsed. The file
    /// is spooled to a temporary file and its readings are held in memory at about its own size until they are hourly.
    /// </summary>
    [Range(1024, 1_000_000_000)]
    public long ImportMaxBytes { get; set; } = 100_000_000;
}
