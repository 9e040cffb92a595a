using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SmartParking.Server.Platform.Hosting;

namespace SmartParking.Server.Platform.Protection;

/// <summary>The field keys by version, the active version and the blind-index key, checked once at start-up.</summary>
public sealed class ProtectionKeys
{
    public const int KeyBytes = 32;

    private ProtectionKeys(IReadOnlyDictionary<byte, byte[]> keys, byte active, byte[] indexKey)
    {
        Keys = keys;
        Active = active;
        IndexKey = indexKey;
    }

    public IReadOnlyDictionary<byte, byte[]> Keys { get; }
    public byte Active { get; }
    public byte[] IndexKey { get; }

    public static ProtectionKeys Create(IReadOnlyDictionary<byte, byte[]> keys, byte active, byte[] indexKey) => new(keys, active, indexKey);

    /// <summary>
    /// The configured keys; outside Production, with none configured, the development key file (made on first use).
    /// Anything wrong is a <see cref="StartupFailure"/> naming the setting.
    /// </summary>
    public static ProtectionKeys Load(ProtectionOptions options, IHostEnvironment environment, string dataDirectory)
    {
        if (options.Keys.Count == 0 && options.ActiveKey is null && options.IndexKey is null)
        {
            if (environment.IsProduction())
                throw new StartupFailure("Protection:Keys is not set: personal data cannot be stored unencrypted in Production. Set Protection:Keys:1 " +
                    "(base64 of 32 random bytes, e.g. `openssl rand -base64 32`), Protection:ActiveKey=1 and Protection:IndexKey (another 32 bytes), " +
                    "env Protection__Keys__1 etc., from a secret (see docs/deploy.md).");
            return DevelopmentKeyFile(Path.GetFullPath(options.KeyFile, dataDirectory));
        }
        return FromOptions(options);
    }

    public static ProtectionKeys FromOptions(ProtectionOptions options)
    {
        var keys = new Dictionary<byte, byte[]>();
        foreach (var (name, value) in options.Keys)
        {
            if (!byte.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version == 0)
                throw new StartupFailure($"Protection:Keys:{name}: a key version must be a whole number from 1 to 255.");
            keys[version] = Key($"Protection:Keys:{name}", value);
        }
        if (keys.Count == 0)
            throw new StartupFailure("Protection:Keys is empty: give at least Protection:Keys:1 (base64 of 32 random bytes).");
        if (string.IsNullOrWhiteSpace(options.ActiveKey))
            throw new StartupFailure($"Protection:ActiveKey is not set: name the version new data is encrypted with (one of {Versions(keys)}).");
        if (!byte.TryParse(options.ActiveKey, NumberStyles.None, CultureInfo.InvariantCulture, out var active) || !keys.ContainsKey(active))
            throw new StartupFailure($"Protection:ActiveKey '{options.ActiveKey}' is not a configured key version (configured: {Versions(keys)}).");
        if (string.IsNullOrWhiteSpace(options.IndexKey))
            throw new StartupFailure("Protection:IndexKey is not set: give the blind-index key (base64 of 32 random bytes).");
        return new ProtectionKeys(keys, active, Key("Protection:IndexKey", options.IndexKey));
    }

    private static string Versions(Dictionary<byte, byte[]> keys) => string.Join(", ", keys.Keys.Order());

    private static byte[] Key(string setting, string value)
    {
        byte[] key;
        try { key = Convert.FromBase64String(value.Trim()); }
        catch (FormatException) { throw new StartupFailure($"{setting} is not valid base64: give 32 random bytes in base64 (e.g. `openssl rand -base64 32`)."); }
        return key.Length == KeyBytes ? key
            : throw new StartupFailure($"{setting} is {key.Length} bytes; an AES-256 or index key must be exactly {KeyBytes} bytes (base64 of 32 random bytes).");
    }

    /// <summary>
    /// Development only: keys kept in a file beside the embedded database (never in the repository), readable by this
    /// user alone, made once and reused so data survives restarts. Several hosts starting at once agree on one file.
    /// </summary>
    private static ProtectionKeys DevelopmentKeyFile(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var made = new ProtectionOptions
            {
                Keys = new() { ["1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes)) },
                ActiveKey = "1",
                IndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes)),
            };
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new FileStream(temporary, create))
                JsonSerializer.Serialize(file, new KeyFile(made.Keys, made.ActiveKey, made.IndexKey));
            // Whoever moves first wins; the others read the winner's keys.
            try { File.Move(temporary, path, overwrite: false); }
            catch (IOException) when (File.Exists(path)) { File.Delete(temporary); }
        }
        KeyFile? stored;
        try { stored = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new StartupFailure($"The development key file {path} is not valid JSON ({e.Message}); restore it, or delete it only if the database holds no encrypted data."); }
        if (stored is null) throw new StartupFailure($"The development key file {path} is empty; restore it, or delete it only if the database holds no encrypted data.");
        return FromOptions(new ProtectionOptions { Keys = stored.Keys ?? [], ActiveKey = stored.ActiveKey, IndexKey = stored.IndexKey });
    }

    private sealed record KeyFile(Dictionary<string, string>? Keys, string? ActiveKey, string? IndexKey);
}
