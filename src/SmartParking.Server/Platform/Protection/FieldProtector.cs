using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace SmartParking.Server.Platform.Protection;

/// <summary>
/// Where a protected value lives. The sealed value is bound to it (associated data), so a value copied into another
/// column does not open there, and its blind index differs from the same text's index in another column.
/// </summary>
public readonly record struct FieldScope(string Table, string Column)
{
    public override string ToString() => Table + "." + Column;
}

/// <summary>A sealed value that does not open: tampered with, moved to another column, or under a key no longer configured.</summary>
public sealed class FieldProtectionException(string message) : CryptographicException(message);

/// <summary>
/// AES-256-GCM for personal fields at rest. A sealed value is <c>version (1 byte) | nonce (12) | ciphertext | tag (16)</c>:
/// the version says which configured key opens it, so values under an older key keep opening while a rotation re-seals
/// them. Blind indexes are HMAC-SHA256 under a separate key, for equality lookups without decrypting rows.
/// </summary>
public sealed class FieldProtector(ProtectionKeys keys)
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int Overhead = 1 + NonceBytes + TagBytes;

    /// <summary>
    /// Ciphers not in use, per key version: an AesGcm costs a key schedule to make and is not safe for two threads at
    /// once, and the assistant seals a conversation on every message.
    /// </summary>
    private readonly ConcurrentDictionary<byte, ConcurrentBag<AesGcm>> _idle = new();

    /// <summary>Each column's associated data, made once.</summary>
    private readonly ConcurrentDictionary<(byte Version, FieldScope Scope), byte[]> _associated = new();

    public byte ActiveVersion => keys.Active;

    public IReadOnlyCollection<byte> ConfiguredVersions => keys.Keys.Keys.ToList();

    public byte[] Seal(string clear, FieldScope scope) => SealBytes(Encoding.UTF8.GetBytes(clear), scope);

    public byte[]? SealOrNull(string? clear, FieldScope scope) => clear is null ? null : Seal(clear, scope);

    public string Open(byte[] sealedValue, FieldScope scope) => Encoding.UTF8.GetString(OpenBytes(sealedValue, scope));

    /// <summary>The sealed value when there is one, else the clear text a row had before the sweep reached it.</summary>
    public string? Reveal(byte[]? sealedValue, string? legacyClear, FieldScope scope) => sealedValue is null ? legacyClear : Open(sealedValue, scope);

    /// <summary>
    /// A sealed value with <paramref name="find"/> replaced, sealed again (an erasure replacing a name inside sealed
    /// text, which SQL cannot search); null when the value does not hold it.
    /// </summary>
    public byte[]? SealedReplacing(byte[] sealedValue, FieldScope scope, string find, string replacement, StringComparison comparison)
    {
        var clear = Open(sealedValue, scope);
        return clear.Contains(find, comparison) ? Seal(clear.Replace(find, replacement, comparison), scope) : null;
    }

    public byte[] SealBytes(ReadOnlySpan<byte> clear, FieldScope scope)
    {
        var version = keys.Active;
        var output = new byte[Overhead + clear.Length];
        output[0] = version;
        var nonce = output.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        var aes = Rent(version, keys.Keys[version]);
        try
        {
            aes.Encrypt(nonce, clear, output.AsSpan(1 + NonceBytes, clear.Length), output.AsSpan(output.Length - TagBytes), AssociatedData(version, scope));
        }
        finally
        {
            _idle[version].Add(aes);
        }
        return output;
    }

    public byte[] OpenBytes(ReadOnlySpan<byte> sealedValue, FieldScope scope)
    {
        if (sealedValue.Length < Overhead) throw new FieldProtectionException($"A value in {scope} is too short to be sealed.");
        var version = sealedValue[0];
        if (!keys.Keys.TryGetValue(version, out var key))
            throw new FieldProtectionException($"A value in {scope} is sealed with key version {version}, which is not configured (Protection:Keys:{version}).");
        var clear = new byte[sealedValue.Length - Overhead];
        var aes = Rent(version, key);
        try
        {
            aes.Decrypt(sealedValue.Slice(1, NonceBytes), sealedValue.Slice(1 + NonceBytes, clear.Length), sealedValue[^TagBytes..], clear, AssociatedData(version, scope));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new FieldProtectionException($"A value in {scope} does not open: it was altered, belongs to another column, or its key {version} was changed.");
        }
        finally
        {
            _idle[version].Add(aes);
        }
        return clear;
    }

    /// <summary>The blind index of an already normalised value: equal values in one column give equal indexes.</summary>
    public byte[] BlindIndex(string normalised, FieldScope scope) =>
        HMACSHA256.HashData(keys.IndexKey, Encoding.UTF8.GetBytes(scope + "\n" + normalised));

    /// <summary>Identifies the index key without revealing it, so start-up can refuse a changed one.</summary>
    public byte[] IndexKeyFingerprint() => HMACSHA256.HashData(keys.IndexKey, "smartparking blind index key"u8);

    private AesGcm Rent(byte version, byte[] key) =>
        _idle.GetOrAdd(version, _ => []).TryTake(out var idle) ? idle : new AesGcm(key, TagBytes);

    // The version is bound too, so a value cannot be relabelled as another version's.
    private byte[] AssociatedData(byte version, FieldScope scope) =>
        _associated.GetOrAdd((version, scope), static k => Encoding.UTF8.GetBytes($"smartparking:{k.Version}:{k.Scope}"));
}
