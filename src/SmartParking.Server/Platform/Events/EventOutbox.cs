using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// Records domain events on the caller's connection and transaction, so an event exists exactly when the change it
/// describes committed. A wake-up notice goes out with the commit when a subscriber that wants to be woken takes one of
/// the events; the dispatcher does the rest (other events wait for its next poll, so a busy writer of those, like
/// ingest, does not wake every node many times a second). An event that names a person is recorded sealed (see
/// <see cref="EventPayloads"/>).
/// </summary>
public sealed class EventOutbox(EventTypes types, IEnumerable<EventSubscription> subscriptions, TimeProvider time, FieldProtector protector)
{
    private readonly HashSet<Type> _wanted = [.. subscriptions.Where(s => s.Wakes).SelectMany(types.TakenBy)];

    public const string WakeChannel = "domain_events";

    public Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IDomainEvent domainEvent, CancellationToken ct) =>
        AppendAsync(connection, transaction, [domainEvent], ct);

    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<IDomainEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        var parameters = new DynamicParameters();
        var sql = AppendSql(parameters, events);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
    }

    /// <summary>
    /// Replaces a text value in the recorded events of these aggregates (a person's erasure: their plate in a session's
    /// events), on the caller's transaction. Only whole JSON string values equal to <paramref name="value"/> change.
    /// </summary>
    public async Task<int> RedactAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<string> aggregateIds, string value,
        string replacement, CancellationToken ct)
    {
        if (aggregateIds.Count == 0) return 0;
        var (ids, quoted, replacementQuoted) = (aggregateIds.ToArray(), JsonSerializer.Serialize(value), JsonSerializer.Serialize(replacement));
        var redacted = await connection.ExecuteAsync(new CommandDefinition(
            "update domain_events set payload = replace(payload::text, @quoted, @replacementQuoted)::json where aggregate_id = any(@ids) and strpos(payload::text, @quoted) > 0",
            new { ids, quoted, replacementQuoted }, transaction, cancellationToken: ct));
        // Sealed payloads are opened, and sealed again with the value replaced.
        var rewritten = (await connection.QueryAsync<(Guid Id, byte[] Payload)>(new CommandDefinition(
                "select id, payload_encrypted from domain_events where aggregate_id = any(@ids) and payload_encrypted is not null for update",
                new { ids }, transaction, cancellationToken: ct)))
            .Select(e => (e.Id, Sealed: protector.SealedReplacing(e.Payload, EventPayloads.Field, quoted, replacementQuoted, StringComparison.Ordinal)))
            .Where(e => e.Sealed is not null).ToList();
        if (rewritten.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition(
                "update domain_events e set payload_encrypted = u.payload from unnest(@ids, @payloads) as u(id, payload) where e.id = u.id",
                new { ids = rewritten.Select(e => e.Id).ToArray(), payloads = rewritten.Select(e => e.Sealed).ToArray() }, transaction, cancellationToken: ct));
        return redacted + rewritten.Count;
    }

    /// <summary>
    /// The statements that record these events, with their parameters added (all named outbox_*), for a caller that
    /// sends its change and its events in one round trip. The caller must run them in the change's transaction.
    /// </summary>
    public string AppendSql(DynamicParameters parameters, IReadOnlyCollection<IDomainEvent> events)
    {
        var now = time.GetUtcNow();
        var ids = new Guid[events.Count];
        var typeNames = new string[events.Count];
        var aggregates = new string[events.Count];
        var tenants = new Guid?[events.Count];
        var payloads = new string?[events.Count];
        var sealedPayloads = new byte[]?[events.Count];
        var i = 0;
        var wake = false;
        foreach (var e in events)
        {
            wake |= _wanted.Contains(e.GetType());
            ids[i] = Guid.CreateVersion7(now);
            typeNames[i] = types.NameOf(e);
            aggregates[i] = e.AggregateId;
            tenants[i] = e.TenantId;
            var json = JsonSerializer.Serialize(e, e.GetType(), EventTypes.Json);
            if (e is IPersonalDomainEvent) sealedPayloads[i] = protector.Seal(json, EventPayloads.Field);
            else payloads[i] = json;
            i++;
        }
        parameters.AddDynamicParams(new
        {
            outbox_now = now, outbox_ids = ids, outbox_types = typeNames, outbox_aggregates = aggregates, outbox_tenants = tenants, outbox_payloads = payloads,
            outbox_sealed = sealedPayloads,
        });
        // unnest keeps one statement per batch; "with ordinality" keeps the caller's order as the insert order.
        return $"""
            insert into domain_events (id, type, aggregate_id, tenant_id, occurred_at, payload, payload_encrypted)
            select e.id, e.type, e.aggregate_id, e.tenant_id, @outbox_now, e.payload::json, e.sealed
            from unnest(@outbox_ids, @outbox_types, @outbox_aggregates, @outbox_tenants, @outbox_payloads, @outbox_sealed) with ordinality
                as e(id, type, aggregate_id, tenant_id, payload, sealed, n)
            order by e.n;
            {(wake ? $"select pg_notify('{WakeChannel}', '');" : "")}
            """;
    }
}
