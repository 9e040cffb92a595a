using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SmartParking.Server.Modules.Chat.Conversations;

/// <summary>
/// Conversations in PostgreSQL. A message is handled with its conversation's row locked, so two messages from one user
/// (a double tap, two nodes) are answered one after the other, each seeing the other's state; different users never wait
/// for each other. A conversation silent longer than the timeout starts afresh; only the last turns are kept.
/// </summary>
public sealed class ConversationStore(NpgsqlDataSource db, IOptions<ChatOptions> options, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ChatOptions _options = options.Value;

    /// <summary>
    /// A message holds its conversation's connection while the dialogue calls services that need connections of their
    /// own; unbounded, as many messages as the pool has connections would each wait for a second one that never comes.
    /// </summary>
    private readonly SemaphoreSlim _handling = new(options.Value.MaxConcurrentMessages);

    public async Task<T> WithConversationAsync<T>(string channel, string sender, Func<Conversation, Task<T>> handle, CancellationToken ct)
    {
        await _handling.WaitAsync(ct);
        try
        {
            return await LockedAsync(channel, sender, handle, ct);
        }
        finally
        {
            _handling.Release();
        }
    }

    private async Task<T> LockedAsync<T>(string channel, string sender, Func<Conversation, Task<T>> handle, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition("""
            insert into chat_conversations (channel, sender, last_active_at) values (@channel, @sender, @now)
                on conflict (channel, sender) do nothing;
            select (select driver_id from chat_links l where l.channel = c.channel and l.sender = c.sender) as DriverId,
                (select id from chat_handoffs h where h.channel = c.channel and h.sender = c.sender and h.status <> 'closed') as HandoffId,
                language, state::text as State, turns::text as Turns, version, last_active_at as LastActiveAt
            from chat_conversations c where channel = @channel and sender = @sender for update
            """, new { channel, sender, now }, tx, cancellationToken: ct));
        var expired = row.Version > 0 && now - row.LastActiveAt > TimeSpan.FromSeconds(_options.ConversationTimeoutSeconds);
        var conversation = new Conversation
        {
            Channel = channel,
            Sender = sender,
            DriverId = row.DriverId,
            HandoffId = row.HandoffId,
            Language = row.Language,
            State = expired ? new DialogueState() : JsonSerializer.Deserialize<DialogueState>(row.State, Json) ?? new DialogueState(),
            Turns = expired ? [] : JsonSerializer.Deserialize<List<ChatTurn>>(row.Turns, Json) ?? [],
            IsNew = row.Version == 0 || expired,
        };

        var result = await handle(conversation);

        var turns = conversation.Turns.Skip(Math.Max(0, conversation.Turns.Count - _options.HistoryTurns)).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            update chat_conversations set language = @Language, state = @state::jsonb, turns = @turns::jsonb,
                version = version + 1, last_active_at = @now
            where channel = @channel and sender = @sender
            """, new
        {
            conversation.Language,
            state = JsonSerializer.Serialize(conversation.State, Json),
            turns = JsonSerializer.Serialize(turns, Json),
            now = time.GetUtcNow(),
            channel,
            sender,
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>Deletes conversations silent for longer than the retention: what drivers said is kept no longer than needed.</summary>
    public async Task<int> DeleteSilentAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from chat_conversations where last_active_at < @before",
            new { before = time.GetUtcNow() - TimeSpan.FromHours(_options.RetentionHours) }, cancellationToken: ct));
    }

    private sealed record Row(Guid? DriverId, Guid? HandoffId, string Language, string State, string Turns, long Version, DateTimeOffset LastActiveAt);
}
