using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>
/// Which webhook deliveries have been taken, in PostgreSQL so a provider's retry that lands on another node is still
/// recognised: the request whose insert succeeds handles the message, every other one skips it.
/// </summary>
public sealed class ChannelUpdates(NpgsqlDataSource db, TimeProvider time)
{
    /// <summary>Neither Telegram nor Meta retries a delivery for longer than this.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    private async Task<bool> TryClaimAsync(string channel, string updateId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "insert into chat_channel_updates (channel, update_id, received_at) values (@channel, @updateId, @now) on conflict do nothing",
            new { channel, updateId, now = time.GetUtcNow() }, cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// Runs <paramref name="handle"/> unless another request has taken the update; false when skipped. If it throws (the
    /// database went away mid-answer), the update is given back so the provider's retry is answered.
    /// </summary>
    public async Task<bool> HandleOnceAsync(string channel, string updateId, Func<Task> handle, CancellationToken ct)
    {
        if (!await TryClaimAsync(channel, updateId, ct)) return false;
        try
        {
            await handle();
            return true;
        }
        catch
        {
            try { await ReleaseAsync(channel, updateId); }
            // The database being gone is likely why handling failed; the caller needs that first failure, not this one.
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { }
            throw;
        }
    }

    private async Task ReleaseAsync(string channel, string updateId)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync("delete from chat_channel_updates where channel = @channel and update_id = @updateId", new { channel, updateId });
    }

    public async Task<int> PruneAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from chat_channel_updates where received_at < @before", new { before = time.GetUtcNow() - Retention }, cancellationToken: ct));
    }
}

/// <summary>Forgets webhook deliveries older than <see cref="ChannelUpdates.Retention"/>.</summary>
public sealed class ChannelUpdatesCleanup(ChannelUpdates updates) : IScheduledJob
{
    public string Name => "chat-channel-updates";

    public Task RunAsync(DateTimeOffset now, CancellationToken ct) => updates.PruneAsync(ct);
}
