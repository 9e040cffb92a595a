using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Chat.Handoff;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// Re-keys chat users stored by their clear channel id (before <see cref="ChatSenderKeys"/>) to their stored key, a batch
/// at a time: links and hand-overs, which keep the clear id sealed (to show the driver, to send the operator's answers),
/// and conversations.
/// Where the user has a row under the new key already (they wrote after the upgrade), the old one gives way.
/// </summary>
public sealed class ChatSenderRekeying(NpgsqlDataSource db, ChatSenderKeys keys, FieldProtector protector) : IScheduledJob
{
    private const int Batch = 500;

    /// <summary>A stored sender that is still the user's clear id (web users are stored by account id on purpose).</summary>
    private const string StillClearSql = $"channel <> '{ChatChannels.Web}' and sender not like '{ChatSenderKeys.Prefix}%'";

    public string Name => "chat-sender-rekeying";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        while (await RekeyBatchAsync(connection, now, ct) > 0) { }
    }

    /// <summary>One batch of users, re-keyed in all three tables in one transaction, so their link and conversations stay joined.</summary>
    private async Task<int> RekeyBatchAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var users = (await connection.QueryAsync<(string Channel, string Sender)>(new CommandDefinition($"""
            select channel, sender from chat_links where {StillClearSql}
            union select channel, sender from chat_conversations where {StillClearSql}
            union select channel, sender from chat_handoffs where {StillClearSql}
            limit {Batch}
            """, transaction: tx, cancellationToken: ct))).ToList();
        if (users.Count == 0) return 0;
        await connection.ExecuteAsync(new CommandDefinition("""
            create temporary table rekeyed on commit drop as
              select * from unnest(@channels, @senders, @keyed, @sealedSenders, @sealedLinks) as u(channel, sender, keyed, sealed, sealed_link);
            -- Where the user wrote after the upgrade, their new rows win; a hand-over keeps its thread (the operator's
            -- record) and is only closed, as one user has one open hand-over.
            delete from chat_links t using rekeyed u
              where t.channel = u.channel and t.sender = u.sender and exists (select 1 from chat_links n where n.channel = u.channel and n.sender = u.keyed);
            delete from chat_conversations t using rekeyed u
              where t.channel = u.channel and t.sender = u.sender and exists (select 1 from chat_conversations n where n.channel = u.channel and n.sender = u.keyed);
            update chat_handoffs h set status = 'closed', closed_at = coalesce(h.closed_at, @now), closed_by = coalesce(h.closed_by, 'driver')
              from rekeyed u
              where h.channel = u.channel and h.sender = u.sender and h.status <> 'closed'
                and exists (select 1 from chat_handoffs n where n.channel = u.channel and n.sender = u.keyed and n.status <> 'closed');
            update chat_links t set sender = u.keyed, sender_encrypted = coalesce(t.sender_encrypted, u.sealed_link) from rekeyed u
              where t.channel = u.channel and t.sender = u.sender;
            update chat_conversations t set sender = u.keyed from rekeyed u where t.channel = u.channel and t.sender = u.sender;
            update chat_handoffs t set sender = u.keyed, sender_encrypted = coalesce(t.sender_encrypted, u.sealed) from rekeyed u
              where t.channel = u.channel and t.sender = u.sender;
            """, new
        {
            now,
            channels = users.Select(r => r.Channel).ToArray(),
            senders = users.Select(r => r.Sender).ToArray(),
            keyed = users.Select(r => keys.StoredId(r.Channel, r.Sender)).ToArray(),
            sealedSenders = users.Select(r => protector.Seal(r.Sender, HandoffStore.SenderField)).ToArray(),
            sealedLinks = users.Select(r => protector.Seal(r.Sender, ChatAccountLinks.SenderField)).ToArray(),
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return users.Count;
    }
}
