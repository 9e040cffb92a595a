using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Chat;

/// <summary>A one-time code the app shows a driver, to send to the assistant on another channel.</summary>
public sealed record ChatLinkCode(string Code, DateTimeOffset ExpiresAt);

/// <summary>A chat account linked to the driver.</summary>
public sealed record ChatLinkView(string Channel, DateTimeOffset LinkedAt);

/// <summary>
/// Makes a Telegram chat or WhatsApp number a known driver: the app gives the signed-in driver a short code (eight
/// letters and digits, ten minutes, once), the driver sends "link CODE" to the assistant there, and from then on that chat
/// acts for them until they unlink it. Codes are kept only as hashes; guessing one among 32⁸ in ten minutes is hopeless.
/// </summary>
public sealed class ChatAccountLinks(NpgsqlDataSource db, FieldProtector protector, TimeProvider time)
{
    /// <summary>The linked account's id on its channel, sealed: shown to the driver, never looked up.</summary>
    internal static readonly FieldScope SenderField = new("chat_links", "sender");

    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I
    private static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);

    public async Task<ChatLinkCode> NewCodeAsync(Guid driverId, CancellationToken ct)
    {
        var chars = new char[8];
        for (var i = 0; i < chars.Length; i++) chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        var code = new string(chars, 0, 4) + "-" + new string(chars, 4, 4);
        var expires = time.GetUtcNow() + CodeLifetime;
        await using var connection = await db.OpenConnectionAsync(ct);
        // One live code per driver: a new one replaces the last.
        await connection.ExecuteAsync(new CommandDefinition("""
            delete from chat_link_codes where driver_id = @driverId or expires_at < @now;
            insert into chat_link_codes (code_hash, driver_id, expires_at) values (@hash, @driverId, @expires);
            """, new { driverId, now = time.GetUtcNow(), hash = Hash(code), expires }, cancellationToken: ct));
        return new ChatLinkCode(code, expires);
    }

    /// <summary>Links the chat to the code's driver and spends the code; null for a wrong or expired code.</summary>
    /// <param name="sender">The chat user as stored (<see cref="ChatSenderKeys"/>).</param>
    /// <param name="channelId">Their id on the channel.</param>
    public async Task<Guid?> RedeemAsync(string channel, string sender, string channelId, string code, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition("""
            with spent as (delete from chat_link_codes where code_hash = @hash and expires_at >= @now returning driver_id)
            insert into chat_links (channel, sender, sender_encrypted, driver_id, linked_at) select @channel, @sender, @sealedId, driver_id, @now from spent
            on conflict (channel, sender) do update set driver_id = excluded.driver_id, linked_at = excluded.linked_at, sender_encrypted = excluded.sender_encrypted
            returning driver_id
            """, new { hash = Hash(Normalise(code)), now = time.GetUtcNow(), channel, sender, sealedId = protector.Seal(channelId, SenderField) }, cancellationToken: ct));
    }

    public async Task<bool> UnlinkAsync(string channel, string sender, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("delete from chat_links where channel = @channel and sender = @sender",
            new { channel, sender }, cancellationToken: ct)) > 0;
    }

    public async Task<IReadOnlyList<ChatLinkView>> ListAsync(Guid driverId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ChatLinkView>(new CommandDefinition(
            "select channel, linked_at as LinkedAt from chat_links where driver_id = @driverId order by linked_at", new { driverId }, cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// Unlinks every chat of the driver on one channel. Their conversations move on a version, so a node answering
    /// from its own copy of one (as the driver) finds it stale and reads it again, now without the driver.
    /// </summary>
    public async Task<int> UnlinkAllAsync(Guid driverId, string channel, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            with gone as (delete from chat_links where driver_id = @driverId and channel = @channel returning channel, sender),
                 moved as (update chat_conversations c set version = c.version + 1 from gone where c.channel = gone.channel and c.sender = gone.sender)
            select count(*)::int from gone
            """, new { driverId, channel }, cancellationToken: ct));
    }

    /// <summary>"abcd 1234", "ABCD-1234" and "abcd1234" are one code.</summary>
    private static string Normalise(string code)
    {
        var letters = new string(code.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());
        return letters.Length == 8 ? letters[..4] + "-" + letters[4..] : letters;
    }

    private static byte[] Hash(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code));
}
