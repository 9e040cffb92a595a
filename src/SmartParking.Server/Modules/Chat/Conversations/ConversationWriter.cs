using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace SmartParking.Server.Modules.Chat.Conversations;

/// <summary>One conversation as it is to be stored, if the stored row is still at <see cref="Version"/> (null: no row yet).</summary>
internal sealed record ConversationWrite(string Channel, string Sender, string Language, string State, byte[] TurnsEncrypted, long? Version, DateTimeOffset At);

/// <summary>
/// Writes the conversations of messages answered at the same moment in one statement and one commit (group commit):
/// a busy assistant otherwise spends most of the database's time, and its own, on one round trip and one WAL flush per
/// message. Each row keeps its own version check; a row whose check fails comes back without a version, as a single
/// write would. A few statements run at once, so a write waits at most for a free connection, not behind a slow
/// statement (a checkpoint, a long fsync), and a quiet assistant still writes each one at once. One user's messages take
/// turns (<see cref="ConversationStore"/>), so two statements in flight never hold the same conversation.
/// <para>
/// Unless Chat:WaitForDurableTurns, a batch commits without waiting for the WAL flush: measured on a 2-core box, waiting
/// for it was most of a reply's tail at 2,000 messages/s. Only turns of messages that do nothing else come here; what
/// a message does is committed, with its turn, by <see cref="ConversationStore"/> in a transaction of its own.
/// </para>
/// </summary>
public sealed class ConversationWriter(NpgsqlDataSource db, IOptions<ChatOptions> options) : IAsyncDisposable
{
    /// <summary>Enough to take a rush in a few statements; small enough that one statement stays short.</summary>
    private const int MaxBatch = 256;

    /// <summary>
    /// Statements in flight at once: one per core, two at least, four at most. More than the cores only queue inside
    /// PostgreSQL and batch less: on a 2-core box four gave 5,000 messages/s flat out and a p99 of 15–26 ms at 2,000
    /// messages/s, two gave 5,300–6,300 and 11–19 ms.
    /// </summary>
    private static readonly int Writers = Math.Clamp(Environment.ProcessorCount, 2, 4);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _startLock = new();
    private Task? _loops;

    /// <summary>The new version written, or null when the row was not at the version expected (another writer got there first).</summary>
    internal async Task<long?> WriteAsync(ConversationWrite write, CancellationToken ct)
    {
        EnsureStarted();
        var pending = new Pending(write);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(ConversationWriter));
        // A caller that gives up does not take its row back: it is written with the others or fails with them.
        return await pending.Done.Task.WaitAsync(ct);
    }

    private void EnsureStarted()
    {
        if (_loops is not null) return;
        lock (_startLock) _loops ??= Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(() => RunAsync(_stopping.Token))));
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var batch = new List<Pending>(MaxBatch);
        // Each writer keeps its connection: taken from the pool and given back for every batch, it was reset each time
        // (RESET ALL and three more statements), as much work for PostgreSQL as a small batch's own.
        NpgsqlConnection? connection = null;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stopping))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
                try
                {
                    connection ??= await db.OpenConnectionAsync(stopping);
                    var written = await WriteBatchAsync(connection, batch, stopping);
                    foreach (var p in batch) p.Done.TrySetResult(written.TryGetValue((p.Write.Channel, p.Write.Sender), out var version) ? version : null);
                }
                catch (Exception e)
                {
                    // Every message of the batch fails as its own statement would have (a database outage is the caller's
                    // 503); the next batch starts on a fresh connection.
                    foreach (var p in batch) p.Done.TrySetException(e);
                    if (connection is not null) await connection.DisposeAsync();
                    connection = null;
                }
            }
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    private const string WriteSql = """
        with commit_mode as materialized (
          -- For this statement's transaction only: its commit does not wait for the flush, unless Chat:WaitForDurableTurns
          -- (null here), which keeps the database's own setting (it may ask more, such as a standby's apply).
          select set_config('synchronous_commit', coalesce($8, current_setting('synchronous_commit')), true)
        ), input as (
          select i.* from commit_mode, unnest($1, $2, $3, $4, $5, $6, $7) as i(channel, sender, language, state, turns_encrypted, version, at)
        ), updated as (
          update chat_conversations c set language = i.language, state = i.state::jsonb, turns = null, turns_encrypted = i.turns_encrypted,
                 version = c.version + 1, last_active_at = i.at
          from input i
          where i.version is not null and c.channel = i.channel and c.sender = i.sender and c.version = i.version
          returning c.channel, c.sender, c.version
        ), inserted as (
          insert into chat_conversations (channel, sender, language, state, turns_encrypted, version, last_active_at)
          select channel, sender, language, state::jsonb, turns_encrypted, 1, at from input where version is null
          on conflict (channel, sender) do nothing
          returning channel, sender, version
        )
        select channel, sender, version from updated union all select channel, sender, version from inserted
        """;

    private async Task<Dictionary<(string, string), long>> WriteBatchAsync(NpgsqlConnection connection, List<Pending> batch, CancellationToken ct)
    {
        // One user's messages take turns on a node, so a batch never holds two rows of one conversation.
        var rows = batch.Select(p => p.Write).ToList();
        await using var write = new NpgsqlCommand(WriteSql, connection);
        write.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Channel).ToArray() });
        write.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Sender).ToArray() });
        write.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Language).ToArray() });
        write.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.State).ToArray() });
        write.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.TurnsEncrypted).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        write.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Version).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        write.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.At).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        write.Parameters.Add(new NpgsqlParameter { Value = options.Value.WaitForDurableTurns ? DBNull.Value : "off", NpgsqlDbType = NpgsqlDbType.Text });
        var written = new Dictionary<(string, string), long>(rows.Count);
        await using var reader = await write.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) written[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        return written;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_loops is not null)
        {
            try { await _loops; }
            catch (OperationCanceledException) { }
        }
        while (_queue.Reader.TryRead(out var left)) left.Done.TrySetCanceled();
        _stopping.Dispose();
    }

    private sealed class Pending(ConversationWrite write)
    {
        public ConversationWrite Write { get; } = write;

        public TaskCompletionSource<long?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
