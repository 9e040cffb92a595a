using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Chat.Conversations;

/// <summary>
/// Conversations in PostgreSQL, with the last state each node wrote kept in memory.
/// <para>
/// Most messages (questions, searches, a question asked back) change nothing but the conversation. Those are answered from
/// the node's copy and written with a version check: one statement, no lock held. If another node wrote the conversation
/// meanwhile, the check fails, the answer is thrown away and the message is answered again from the stored state, so an
/// answer never rests on a stale state (an unlinked account, a flow another node moved on).
/// </para>
/// <para>
/// A message that may act (the yes to a confirmation, a report, a hand-over, linking; the caller says which) is handled
/// with the conversation's row locked and read fresh, so whatever it does happens once, after the previous message of
/// the same user, on any node. On one node the messages of one user always take turns.
/// </para>
/// A conversation silent longer than the timeout starts afresh; only the last turns are kept.
/// </summary>
public sealed class ConversationStore
{
    /// <summary>What was said is sealed at rest; the dialogue state holds no transcript.</summary>
    internal static readonly FieldScope TurnsField = new("chat_conversations", "turns");

    private static readonly JsonSerializerOptions Json = SealedTurns.Json;

    /// <summary>Above this many cached conversations, those silent past the timeout are dropped.</summary>
    private const int MaxCached = 50_000;
    private const int SizeCheckEvery = 1_024;

    /// <summary>Tries to answer without the lock before giving up and taking it.</summary>
    private const int OptimisticAttempts = 3;

    private const string StoredColumns = """
        (select driver_id from chat_links l where l.channel = c.channel and l.sender = c.sender) as DriverId,
        (select id from chat_handoffs h where h.channel = c.channel and h.sender = c.sender and h.status <> 'closed') as HandoffId,
        language, state::text as State, turns::text as Turns, turns_encrypted as TurnsEncrypted, version, last_active_at as LastActiveAt
        """;

    private readonly NpgsqlDataSource _db;
    private readonly ConversationWriter _writer;
    private readonly TimeProvider _time;
    private readonly FieldProtector _protector;
    private readonly ChatOptions _options;
    private readonly ConcurrentDictionary<(string Channel, string Sender), Stored> _cache = new();
    private long _writes;
    private readonly SemaphoreSlim[] _turns = Enumerable.Range(0, 1024).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>
    /// A message that may act holds its conversation's connection while the dialogue calls services that need connections
    /// of their own; unbounded, as many messages as the pool has connections would each wait for a second one.
    /// </summary>
    private readonly SemaphoreSlim _locking;

    public ConversationStore(NpgsqlDataSource db, ConversationWriter writer, IOptions<ChatOptions> options, TimeProvider time, FieldProtector protector,
        PostgresNotifications notifications)
    {
        _db = db;
        _writer = writer;
        _time = time;
        _protector = protector;
        _options = options.Value;
        _locking = new SemaphoreSlim(_options.MaxConcurrentMessages);
        // The database was out of reach: a crash of it may have lost the last turns written without waiting for the
        // flush, so a version this node holds may come again with other content. Everything is read afresh.
        notifications.OnResync(_cache.Clear);
    }

    /// <param name="mayAct">Whether handling the message in this conversation may do something beyond answering.</param>
    public async Task<T> WithConversationAsync<T>(string channel, string sender, Func<Conversation, bool> mayAct, Func<Conversation, Task<T>> handle, CancellationToken ct)
    {
        var key = (channel, sender);
        // One user's messages take turns on this node (a double tap); users sharing a stripe only rarely wait for each other.
        var turn = _turns[(int)((uint)key.GetHashCode() % (uint)_turns.Length)];
        await turn.WaitAsync(ct);
        try
        {
            for (var attempt = 0; attempt < OptimisticAttempts; attempt++)
            {
                var stored = _cache.TryGetValue(key, out var cached) ? cached : await LoadAsync(key, ct);
                var conversation = Open(key, stored);
                if (mayAct(conversation)) break;
                var result = await handle(conversation);
                if (await TryWriteAsync(conversation, stored?.Version, ct)) return result;
                _cache.TryRemove(key, out _); // another node wrote it: answer again from what it wrote
            }
            return await LockedAsync(key, handle, ct);
        }
        finally
        {
            turn.Release();
        }
    }

    private async Task<T> LockedAsync<T>((string Channel, string Sender) key, Func<Conversation, Task<T>> handle, CancellationToken ct)
    {
        await _locking.WaitAsync(ct);
        try
        {
            await using var connection = await _db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // A conversation not stored yet gets an empty row (version 0) first, so there is a row to lock.
            var stored = Opened(await connection.QuerySingleAsync<StoredRow>(new CommandDefinition($"""
                insert into chat_conversations (channel, sender, last_active_at) values (@Channel, @Sender, @now) on conflict (channel, sender) do nothing;
                select {StoredColumns} from chat_conversations c where channel = @Channel and sender = @Sender for update
                """, new { key.Channel, key.Sender, now = _time.GetUtcNow() }, tx, cancellationToken: ct)));
            var conversation = Open(key, stored);
            var result = await handle(conversation);
            if (!await TryWriteAsync(conversation, stored.Version, ct, connection, tx))
                throw new InvalidOperationException("A locked conversation changed."); // cannot happen while the row is locked
            await tx.CommitAsync(ct);
            return result;
        }
        catch
        {
            _cache.TryRemove(key, out _);
            throw;
        }
        finally
        {
            _locking.Release();
        }
    }

    private async Task<Stored?> LoadAsync((string Channel, string Sender) key, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<StoredRow>(new CommandDefinition(
            $"select {StoredColumns} from chat_conversations c where channel = @Channel and sender = @Sender", new { key.Channel, key.Sender }, cancellationToken: ct));
        return row is null ? null : Opened(row);
    }

    private Stored Opened(StoredRow row)
    {
        var turns = row.TurnsEncrypted is { } sealedTurns ? SealedTurns.Open(_protector, sealedTurns)
            : row.Turns is { } clear ? JsonSerializer.Deserialize<List<ChatTurn>>(clear, Json) : null;
        return new(row.DriverId, row.HandoffId, row.Language, row.State, turns ?? [], row.Version, row.LastActiveAt);
    }

    /// <summary>The conversation as a message finds it: a copy of what is stored, or a fresh one when none is or it timed out.</summary>
    private Conversation Open((string Channel, string Sender) key, Stored? stored)
    {
        var carried = stored is { Version: > 0 } && _time.GetUtcNow() - stored.LastActiveAt <= TimeSpan.FromSeconds(_options.ConversationTimeoutSeconds);
        return new Conversation
        {
            Channel = key.Channel,
            Sender = key.Sender,
            DriverId = stored?.DriverId,
            HandoffId = stored?.HandoffId,
            Language = stored?.Language ?? "en",
            State = carried ? JsonSerializer.Deserialize<DialogueState>(stored!.State, Json) ?? new DialogueState() : new DialogueState(),
            Turns = carried ? [.. stored!.Turns] : [],
            IsNew = !carried,
        };
    }

    /// <summary>
    /// Writes the conversation if it is still at <paramref name="version"/> (null: no row yet) and keeps what was written
    /// as this node's copy; false when another writer got there first.
    /// </summary>
    private async Task<bool> TryWriteAsync(Conversation conversation, long? version, CancellationToken ct, NpgsqlConnection? connection = null, NpgsqlTransaction? tx = null)
    {
        var now = _time.GetUtcNow();
        var state = JsonSerializer.Serialize(conversation.State, Json);
        var turns = conversation.Turns.Count > _options.HistoryTurns
            ? conversation.Turns.GetRange(conversation.Turns.Count - _options.HistoryTurns, _options.HistoryTurns).ToArray() : conversation.Turns.ToArray();
        var turnsEncrypted = SealedTurns.Seal(_protector, turns);
        long? written;
        if (connection is null)
            written = await _writer.WriteAsync(new ConversationWrite(conversation.Channel, conversation.Sender, conversation.Language, state, turnsEncrypted, version, now), ct);
        else
            written = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
                update chat_conversations set language = @Language, state = @state::jsonb, turns = null, turns_encrypted = @turnsEncrypted, version = version + 1, last_active_at = @now
                where channel = @Channel and sender = @Sender and version = @version returning version
                """, new { conversation.Channel, conversation.Sender, conversation.Language, state, turnsEncrypted, now, version }, tx, cancellationToken: ct));
        if (written is not { } newVersion) return false;
        // Count takes every lock of the dictionary, a queue of its own at a few thousand messages/s: looked at every
        // SizeCheckEvery writes, so the cache may pass its bound by as many.
        if (Interlocked.Increment(ref _writes) % SizeCheckEvery == 0 && _cache.Count >= MaxCached) ForgetSilent(now);
        _cache[(conversation.Channel, conversation.Sender)] = new Stored(conversation.DriverId, conversation.HandoffId, conversation.Language, state, turns, newVersion, now);
        return true;
    }

    private void ForgetSilent(DateTimeOffset now)
    {
        var before = now - TimeSpan.FromSeconds(_options.ConversationTimeoutSeconds);
        foreach (var (key, stored) in _cache)
            if (stored.LastActiveAt < before) _cache.TryRemove(key, out _);
    }

    /// <summary>Deletes conversations silent for longer than the retention: what drivers said is kept no longer than needed.</summary>
    public async Task<int> DeleteSilentAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from chat_conversations where last_active_at < @before",
            new { before = _time.GetUtcNow() - TimeSpan.FromHours(_options.RetentionHours) }, cancellationToken: ct));
    }

    private sealed record StoredRow(Guid? DriverId, Guid? HandoffId, string Language, string State, string? Turns, byte[]? TurnsEncrypted, long Version, DateTimeOffset LastActiveAt);

    /// <summary>A conversation as last written, its turns kept as objects (immutable) so a message need not parse them again.</summary>
    private sealed record Stored(Guid? DriverId, Guid? HandoffId, string Language, string State, IReadOnlyList<ChatTurn> Turns, long Version, DateTimeOffset LastActiveAt);
}
