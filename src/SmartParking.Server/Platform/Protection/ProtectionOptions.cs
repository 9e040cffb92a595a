namespace SmartParking.Server.Platform.Protection;

/// <summary>
/// Keys for personal fields at rest. <c>Keys</c> maps a version (1–255) to a base64 AES-256 key; <c>ActiveKey</c> names
/// the version new values are sealed with (older configured versions are still read, and re-sealed in the background).
/// <c>IndexKey</c> (base64, 32 bytes) keys the blind indexes used for equality lookups; it cannot change once data is
/// indexed with it. With none of them set outside Production, a key file is generated under Database:DataDirectory.
/// </summary>
public sealed class ProtectionOptions
{
    public const string Section = "Protection";

    public Dictionary<string, string> Keys { get; set; } = [];

    public string? ActiveKey { get; set; }

    public string? IndexKey { get; set; }

    /// <summary>The development key file; relative paths are under Database:DataDirectory.</summary>
    public string KeyFile { get; set; } = "protection-keys.json";

    /// <summary>Rows sealed or re-sealed per transaction by the background sweep.</summary>
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>How often the sweep looks for clear text and values under old keys.</summary>
    public int SweepIntervalSeconds { get; set; } = 30;
}
