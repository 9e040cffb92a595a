using System.Buffers.Binary;
using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace SmartParking.Server.Modules.Identity.SignIn;

/// <summary>
/// The authenticator-app (TOTP, RFC 6238) check behind every <see cref="UserManager{TUser}.VerifyTwoFactorTokenAsync"/>
/// with the default authenticator provider: API and web sign-in and turning two-factor on alike. Unlike Identity's own
/// provider it takes a code only for the current 30 s step ±1 (a phone's clock a little off), on the injected clock,
/// and only once (§5.2): the step accepted is recorded on the account, and a code of that step or an earlier one is
/// refused afterwards. The record is one conditional update, so two sign-ins racing with the same code cannot both pass.
/// </summary>
public sealed class OneTimeAuthenticatorCodes(NpgsqlDataSource db, TimeProvider time) : IUserTwoFactorTokenProvider<AppUser>
{
    public const int StepSeconds = 30;
    private const int Digits = 6;
    /// <summary>Steps either side of now that are taken.</summary>
    private const int Window = 1;

    public Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<AppUser> manager, AppUser user) =>
        Task.FromResult(!string.IsNullOrEmpty(user.AuthenticatorKey));

    /// <summary>The app makes the codes; the server never sends one.</summary>
    public Task<string> GenerateAsync(string purpose, UserManager<AppUser> manager, AppUser user) => Task.FromResult("");

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<AppUser> manager, AppUser user)
    {
        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key) || token.Length != Digits || !token.All(char.IsAsciiDigit) || Base32Decode(key) is not { } secret) return false;
        var now = time.GetUtcNow().ToUnixTimeSeconds() / StepSeconds;
        var given = System.Text.Encoding.ASCII.GetBytes(token);
        for (var step = now - Window; step <= now + Window; step++)
        {
            if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(Code(secret, step)), given)) continue;
            await using var connection = await db.OpenConnectionAsync();
            var taken = await connection.ExecuteAsync(
                "update users set totp_last_step = @step where id = @id and (totp_last_step is null or totp_last_step < @step)", new { step, id = user.Id });
            if (taken == 1) return true;
        }
        return false;
    }

    internal static string Code(byte[] secret, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(secret, counter, hash);
        var offset = hash[^1] & 0x0f;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(hash.Slice(offset, 4)) & 0x7fffffff) % 1_000_000;
        return binary.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>RFC 4648 base32, as Identity writes authenticator keys (upper case, unpadded); null when not base32.</summary>
    internal static byte[]? Base32Decode(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var clean = text.Replace(" ", "", StringComparison.Ordinal).TrimEnd('=').ToUpperInvariant();
        var output = new byte[clean.Length * 5 / 8];
        int buffer = 0, bits = 0, index = 0;
        foreach (var c in clean)
        {
            var value = alphabet.IndexOf(c, StringComparison.Ordinal);
            if (value < 0) return null;
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits < 8) continue;
            output[index++] = (byte)(buffer >> (bits - 8));
            bits -= 8;
        }
        return output;
    }
}
