using Dapper;
using Npgsql;

namespace SmartParking.Server.Platform.Events;

/// <summary>A stored event as read back: the envelope fields and the payload still to be parsed.</summary>
internal sealed record StoredEvent(Guid Id, long Position, string Type, string AggregateId, Guid? TenantId, DateTimeOffset OccurredAt, string Payload);

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

    public static async Task<List<StoredEvent>> ReadAsync(NpgsqlConnection connection, long after, long upTo, string[] types, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<StoredEvent>(new CommandDefinition("""
            select id, position, type, aggregate_id, tenant_id, occurred_at, payload::text as payload from domain_events
            where position > @after and position <= @upTo and type = any(@types) order by position limit @limit
            """, new { after, upTo, types, limit }, cancellationToken: ct))).AsList();

    public static async Task<List<StoredEvent>> ReadByIdsAsync(NpgsqlConnection connection, Guid[] ids, CancellationToken ct) =>
        (await connection.QueryAsync<StoredEvent>(new CommandDefinition("""
            select id, position, type, aggregate_id, tenant_id, occurred_at, payload::text as payload from domain_events
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

    /// <summary>Moves the checkpoint and holds back the failed (and blocked) events of the batch, in one transaction.</summary>
    public static async Task AdvanceAsync(NpgsqlConnection connection, string subscriber, long position, IReadOnlyList<(StoredEvent Event, int Attempts, DateTimeOffset NextAt, string? Error, bool Dead)> held,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (held.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into event_retries (subscriber, event_id, position, aggregate_id, attempts, next_attempt_at, last_error, dead_at)
                select @subscriber, r.id, r.position, r.aggregate_id, r.attempts, r.next_at, r.error, case when r.dead then @now end
                from unnest(@ids, @positions, @aggregates, @attempts, @nextAts, @errors, @dead) as r(id, position, aggregate_id, attempts, next_at, error, dead)
                on conflict do nothing
                """, new
            {
                subscriber, now,
                ids = held.Select(h => h.Event.Id).ToArray(),
                positions = held.Select(h => h.Event.Position).ToArray(),
                aggregates = held.Select(h => h.Event.AggregateId).ToArray(),
                attempts = held.Select(h => h.Attempts).ToArray(),
                nextAts = held.Select(h => h.NextAt).ToArray(),
                errors = held.Select(h => h.Error).ToArray(),
                dead = held.Select(h => h.Dead).ToArray(),
            }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "update event_checkpoints set position = greatest(position, @position), updated_at = @now where subscriber = @subscriber",
            new { subscriber, position, now }, tx, cancellationToken: ct));
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

    public static Task<DateTimeOffset?> NextRetryAtAsync(NpgsqlConnection connection, string subscriber, CancellationToken ct) =>
        connection.ExecuteScalarAsync<DateTimeOffset?>(new CommandDefinition(
            "select min(next_attempt_at) from event_retries where subscriber = @subscriber and dead_at is null", new { subscriber }, cancellationToken: ct));

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
    /// (dead letters keep theirs until replayed or discarded).
    /// </summary>
    public static Task<int> PruneAsync(NpgsqlConnection connection, DateTimeOffset before, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            delete from domain_events e
            where e.occurred_at < @before and e.position is not null
              and e.position <= coalesce((select min(position) from event_checkpoints), e.position)
              and not exists (select 1 from event_retries r where r.event_id = e.id)
            """, new { before }, cancellationToken: ct));
}
