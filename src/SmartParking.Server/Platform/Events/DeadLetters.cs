using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Platform.Events;

/// <summary>An event a durable subscriber gave up on, with why.</summary>
public sealed record DeadLetter(
    string Subscriber, Guid EventId, string Type, string AggregateId, Guid? TenantId, DateTimeOffset OccurredAt, int Attempts, string? LastError, DateTimeOffset DeadAt,
    string Payload);

/// <summary>
/// The dead-letter list: events durable subscribers gave up on. An operator sees their tenant's (an admin all, or
/// platform-wide ones with tenant null), replays one after fixing the cause, or discards it.
/// </summary>
public sealed class DeadLetters(NpgsqlDataSource db, EventDispatcher dispatcher, TimeProvider time, FieldProtector protector)
{
    public const int MaxPage = 500;

    /// <param name="tenantId">Only this tenant's events; null with allTenants for every event.</param>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(Guid? tenantId, bool allTenants, string? subscriber, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Row>(new CommandDefinition("""
            select r.subscriber, r.event_id, e.type, e.aggregate_id, e.tenant_id, e.occurred_at, r.attempts, r.last_error, r.dead_at, e.payload::text as payload,
                   e.payload_encrypted
            from event_retries r join domain_events e on e.id = r.event_id
            where r.dead_at is not null and (@allTenants or e.tenant_id = @tenantId) and (@subscriber::text is null or r.subscriber = @subscriber)
            order by r.dead_at desc limit @limit
            """, new { tenantId, allTenants, subscriber, limit = Math.Clamp(limit, 1, MaxPage) }, cancellationToken: ct)))
            .Select(r => new DeadLetter(r.Subscriber, r.EventId, r.Type, r.AggregateId, r.TenantId, r.OccurredAt, r.Attempts, r.LastError, r.DeadAt,
                EventPayloads.Text(protector, r.Payload, r.PayloadEncrypted))).ToList();
    }

    private sealed record Row(string Subscriber, Guid EventId, string Type, string AggregateId, Guid? TenantId, DateTimeOffset OccurredAt, int Attempts,
        string? LastError, DateTimeOffset DeadAt, string? Payload, byte[]? PayloadEncrypted);

    /// <summary>Puts a dead letter back in line, with a fresh count of attempts; false when there is no such dead letter in scope.</summary>
    public async Task<bool> ReplayAsync(string subscriber, Guid eventId, Guid? tenantId, bool allTenants, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var replayed = await connection.ExecuteAsync(new CommandDefinition("""
            update event_retries r set attempts = 0, dead_at = null, next_attempt_at = @now
            from domain_events e
            where e.id = r.event_id and r.subscriber = @subscriber and r.event_id = @eventId and r.dead_at is not null
              and (@allTenants or e.tenant_id = @tenantId)
            """, new { subscriber, eventId, tenantId, allTenants, now = time.GetUtcNow() }, cancellationToken: ct)) == 1;
        if (replayed) dispatcher.Wake();
        return replayed;
    }

    /// <summary>Drops a dead letter for good (the subscriber never gets it); false when there is none in scope.</summary>
    public async Task<bool> DiscardAsync(string subscriber, Guid eventId, Guid? tenantId, bool allTenants, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            delete from event_retries r using domain_events e
            where e.id = r.event_id and r.subscriber = @subscriber and r.event_id = @eventId and r.dead_at is not null
              and (@allTenants or e.tenant_id = @tenantId)
            """, new { subscriber, eventId, tenantId, allTenants }, cancellationToken: ct)) == 1;
    }
}
