using Dapper;
using Npgsql;

namespace SmartParking.Server.Platform.Events;

/// <summary>A stored event as read back: the envelope fields and the payload still to be parsed (and opened, when sealed).</summary>
internal sealed record StoredEvent(Guid Id, long Position, string Type, string AggregateId, Guid? TenantId, DateTimeOffset OccurredAt, string? Payload,
    byte[]? PayloadEncrypted);

/// <summary>An event a durable subscriber failed on, or that waits behind its aggregate's failed one, to go into event_retries.</summary>
internal sealed record HeldEvent(string Subscriber, StoredEvent Event, int Attempts, DateTimeOffset NextAt, string? Error, bool Dead);

/// <summary>A durable subscriber's held-back or failed event (see event_retries).</summary>
internal sealed record RetryRow(Guid EventId, long Position, string AggregateId, int Attempts, DateTimeOffset NextAttemptAt);

/// <summary>The SQL of the event log: sequencing, reading, checkpoints and retries.</summary>
internal static class EventLog
{
    private const long SequencerLock = 0x4556_454E_5453; // "EVENTS"

    /// <summary>
    /// Gives committed, unsequenced events their positions, in insert order, on one node at a time. Events of one
    /// aggregate come from transactions that lock it, so they are inserted (and sequenced) in the order they committed;
    /// positions are given in one transaction, so a reader never sees a later position before an earlier one.
    /// Returns how many were sequenced, or -1 when another node is sequencing.
    /// </summary>
    public static async Task<int> SequenceAsync(NpgsqlConnection connection, int limit, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_xact_lock(@SequencerLock)", new { SequencerLock }, tx, cancellationToken: ct)))
            return -1;
        var count = await connection.ExecuteAsync(new CommandDefinition("""
            with next as (
                select id, recorded from domain_events where position is null order by recorded limit @limit for update
            ), numbered as (
                select id, (select coalesce(max(position), 0) from domain_events) + row_number() over (order by recorded) as position from next
            )
            update domain_events e set position = n.position from numbered n where e.id = n.id
            """, new { limit }, tx, cancellationToken: ct));
        if (count > 0)
            await connection.ExecuteAsync(new CommandDefinition("select pg_notify('domain_events', 'sequenced')", transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return count;
    }

    public static Task<long> HeadAsync(NpgsqlConnection connection, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("select coalesce(max(position), 0) from domain_events", cancellationToken: ct));

    /// <summary>The log's last position, and whether committed events wait to be sequenced: one cheap look before a round's work.</summary>
    public static Task<(long Head, bool Pending)> PeekAsync(NpgsqlConnection connection, CancellationToken ct) =>
        connection.QuerySingleAsync<(long, bool)>(new CommandDefinition("""
            select (select coalesce(max(position), 0) from domain_events), exists (select 1 from domain_events where position is null)
            """, cancellationToken: ct));

    public static async Task<List<StoredEvent>> ReadAsync(NpgsqlConnection connection, long after, long upTo, string[] types, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<StoredEvent>(new CommandDefinition("""
            select id, position, type, aggregate_id, tenant_id, occurred_at, payload::text as payload, payload_encrypted from domain_events
            where position > @after and position <= @upTo and type = any(@types) order by position limit @limit
            """, new { after, upTo, types, limit }, cancellationToken: ct))).AsList();

    public static async Task<List<StoredEvent>> ReadByIdsAsync(NpgsqlConnection connection, Guid[] ids, CancellationToken ct) =>
        (await connection.QueryAsync<StoredEvent>(new CommandDefinition("""
            select id, position, type, aggregate_id, tenant_id, occurred_at, payload::text as payload, payload_encrypted from domain_events
            where id = any(@ids) order by position
            """, new { ids }, cancellationToken: ct))).AsList();

    /// <summary>The subscriber's checkpoint; a new subscriber starts at the log's end (it takes what happens from now on).</summary>
    public static Task<long> CheckpointAsync(NpgsqlConnection connection, string subscriber, DateTimeOffset now, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            insert into event_checkpoints (subscriber, position, updated_at)
            values (@subscriber, (select coalesce(max(position), 0) from domain_events), @now)
            on conflict (subscriber) do update set subscriber = excluded.subscriber
            returning position
            """, new { subscriber, now }, cancellationToken: ct));

    /// <summary>Each durable subscriber's checkpoint and, if it has events waiting for a retry, when the first is due: one query a round.</summary>
    public static async Task<Dictionary<string, (long Position, DateTimeOffset? NextRetryAt)>> DurableStateAsync(NpgsqlConnection connection, string[] subscribers,
        CancellationToken ct) =>
        (await connection.QueryAsync<(string Subscriber, long Position, DateTimeOffset? NextRetryAt)>(new CommandDefinition("""
            select c.subscriber, c.position, r.next_at from event_checkpoints c
            left join (select subscriber, min(next_attempt_at) as next_at from event_retries where dead_at is null group by subscriber) r using (subscriber)
            where c.subscriber = any(@subscribers)
            """, new { subscribers }, cancellationToken: ct))).ToDictionary(r => r.Subscriber, r => (r.Position, r.NextRetryAt));

    /// <summary>Moves the subscribers' checkpoints and holds back the failed (and blocked) events of their batches, in one transaction.</summary>
    public static async Task AdvanceAsync(NpgsqlConnection connection, IReadOnlyList<(string Subscriber, long Position)> checkpoints, IReadOnlyList<HeldEvent> held,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (held.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into event_retries (subscriber, event_id, position, aggregate_id, attempts, next_attempt_at, last_error, dead_at)
                select r.subscriber, r.id, r.position, r.aggregate_id, r.attempts, r.next_at, r.error, case when r.dead then @now end
                from unnest(@subscribers, @ids, @positions, @aggregates, @attempts, @nextAts, @errors, @dead)
                    as r(subscriber, id, position, aggregate_id, attempts, next_at, error, dead)
                on conflict do nothing
                """, new
            {
                now,
                subscribers = held.Select(h => h.Subscriber).ToArray(),
                ids = held.Select(h => h.Event.Id).ToArray(),
                positions = held.Select(h => h.Event.Position).ToArray(),
                aggregates = held.Select(h => h.Event.AggregateId).ToArray(),
                attempts = held.Select(h => h.Attempts).ToArray(),
                nextAts = held.Select(h => h.NextAt).ToArray(),
                errors = held.Select(h => h.Error).ToArray(),
                dead = held.Select(h => h.Dead).ToArray(),
            }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            update event_checkpoints c set position = greatest(c.position, u.position), updated_at = @now
            from unnest(@subscribers, @positions) as u(subscriber, position) where c.subscriber = u.subscriber
            """, new { subscribers = checkpoints.Select(c => c.Subscriber).ToArray(), positions = checkpoints.Select(c => c.Position).ToArray(), now },
            tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Aggregates with an event still waiting for a retry: their later events wait behind it, to keep order.</summary>
    public static async Task<HashSet<string>> BlockedAggregatesAsync(NpgsqlConnection connection, string subscriber, CancellationToken ct) =>
        (await connection.QueryAsync<string>(new CommandDefinition(
            "select distinct aggregate_id from event_retries where subscriber = @subscriber and dead_at is null", new { subscriber }, cancellationToken: ct))).ToHashSet();

    /// <summary>The first waiting event of each blocked aggregate, if its time has come.</summary>
    public static async Task<List<RetryRow>> DueRetriesAsync(NpgsqlConnection connection, string subscriber, DateTimeOffset now, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<RetryRow>(new CommandDefinition("""
            select event_id, position, aggregate_id, attempts, next_attempt_at from (
                select distinct on (aggregate_id) event_id, position, aggregate_id, attempts, next_attempt_at
                from event_retries where subscriber = @subscriber and dead_at is null order by aggregate_id, position) first
            where next_attempt_at <= @now order by position limit @limit
            """, new { subscriber, now, limit }, cancellationToken: ct))).AsList();

    public static Task DeliveredAsync(NpgsqlConnection connection, string subscriber, Guid eventId, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("delete from event_retries where subscriber = @subscriber and event_id = @eventId",
            new { subscriber, eventId }, cancellationToken: ct));

    public static Task FailedAgainAsync(NpgsqlConnection connection, string subscriber, Guid eventId, int attempts, DateTimeOffset nextAt, string error, bool dead,
        DateTimeOffset now, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            update event_retries set attempts = @attempts, next_attempt_at = @nextAt, last_error = @error, dead_at = case when @dead then @now end
            where subscriber = @subscriber and event_id = @eventId
            """, new { subscriber, eventId, attempts, nextAt, error, dead, now }, cancellationToken: ct));

    /// <summary>
    /// Deletes events older than the retention that every durable subscriber has read and none holds for a retry
    /// (dead letters keep theirs until replayed or discarded), and sooner those of types no subscriber takes
    /// (<paramref name="unreadTypes"/>, before <paramref name="unreadBefore"/>): a subscriber added later starts at the log's
    /// end, so nothing would ever read them.
    /// </summary>
    public static Task<int> PruneAsync(NpgsqlConnection connection, DateTimeOffset before, string[] unreadTypes, DateTimeOffset unreadBefore, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            delete from domain_events e
            where e.position is not null
              and (e.occurred_at < @before or (e.occurred_at < @unreadBefore and e.type = any(@unreadTypes)))
              and e.position <= coalesce((select min(position) from event_checkpoints), e.position)
              and not exists (select 1 from event_retries r where r.event_id = e.id)
            """, new { before, unreadTypes, unreadBefore }, commandTimeout: 300, cancellationToken: ct));
}
