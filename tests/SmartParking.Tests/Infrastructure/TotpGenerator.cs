using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits), as authenticator apps compute it; shared by the API and browser tests.
/// <para>
/// The server takes a code only for the current step ±1 and only once per account (RFC 6238 §5.2: it keeps the last step
/// it accepted), so a test cannot sign an account in twice with "the current code". Every sign-in or enrolment goes
/// through <see cref="Next"/>, which remembers per key the last step it handed out and gives the next unused one from
/// now to now + 1: two codes per key per step, both valid wherever the server's step ticks meanwhile. A test that needs
/// more sign-ins of one account than that reuses a signed-in session (tokens, cookies) or uses an account of its own;
/// <see cref="Next"/> throws rather than wait for the next 30 s window, and tests never sleep for one.
/// </para>
/// </summary>
public static class TotpGenerator
{
    public const int StepSeconds = 30;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static readonly Dictionary<string, long> LastStepUsed = new(StringComparer.Ordinal);

    /// <summary>
    /// A code the server has not seen yet for this key: the step after the last one handed out, but not before the
    /// current step of <paramref name="clock"/> (the server's clock: a test host with a fake clock passes it) and at
    /// most one after it.
    /// </summary>
    public static string Next(string base32Key, TimeProvider? clock = null)
    {
        var now = Step((clock ?? TimeProvider.System).GetUtcNow());
        var id = Canonical(base32Key);
        long step;
        lock (LastStepUsed)
        {
            step = LastStepUsed.TryGetValue(id, out var last) ? Math.Max(last + 1, now) : now;
            if (step > now + 1)
                throw new InvalidOperationException(
                    "Both codes this step allows for this key are used (the server refuses a code it has accepted once). " +
                    "Reuse the signed-in session (its tokens or cookies) or sign in a fresh account instead of signing this one in again.");
            LastStepUsed[id] = step;
        }
        return Code(Base32Decode(base32Key), step);
    }

    public static long Step(DateTimeOffset at) => at.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The code of the step <paramref name="at"/> falls in, for tests about which steps the server takes (sign-ins use <see cref="Next"/>).</summary>
    public static string Code(string base32Key, DateTimeOffset at) => Code(Base32Decode(base32Key), Step(at));

    public static string Code(byte[] key, long timeStep)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, timeStep);
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[^1] & 0x0f;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(hash.AsSpan(offset, 4)) & 0x7fffffff) % 1_000_000;
        return binary.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>A six-digit code that is valid for none of the steps around now (by <paramref name="clock"/>) a verifier might accept.</summary>
    public static string Invalid(string base32Key, TimeProvider? clock = null)
    {
        var step = Step((clock ?? TimeProvider.System).GetUtcNow());
        var key = Base32Decode(base32Key);
        var accepted = Enumerable.Range(-4, 9).Select(i => Code(key, step + i)).ToHashSet();
        return Enumerable.Range(0, 20).Select(i => ((123456 + i * 111_111) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture)).First(c => !accepted.Contains(c));
    }

    public static byte[] Base32Decode(string text)
    {
        var clean = Canonical(text);
        var output = new byte[clean.Length * 5 / 8];
        int buffer = 0, bits = 0, index = 0;
        foreach (var c in clean)
        {
            var value = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0) throw new FormatException($"'{c}' is not a base32 character.");
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                output[index++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return output;
    }

    private static string Canonical(string base32Key) =>
        base32Key.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).TrimEnd('=').ToUpperInvariant();
}
