using System.Text.Json;
using Dapper;
using Npgsql;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// Records domain events on the caller's connection and transaction, so an event exists exactly when the change it
/// describes committed. A wake-up notice goes out with the commit when a subscriber that wants to be woken takes one of
/// the events; the dispatcher does the rest (other events wait for its next poll, so a busy writer of those, like
/// ingest, does not wake every node many times a second).
/// </summary>
public sealed class EventOutbox(EventTypes types, IEnumerable<EventSubscription> subscriptions, TimeProvider time)
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
    public static Task<int> RedactAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<string> aggregateIds, string value,
        string replacement, CancellationToken ct) =>
        aggregateIds.Count == 0
            ? Task.FromResult(0)
            : connection.ExecuteAsync(new CommandDefinition(
                "update domain_events set payload = replace(payload::text, @quoted, @replacementQuoted)::json where aggregate_id = any(@aggregateIds) and strpos(payload::text, @quoted) > 0",
                new { aggregateIds = aggregateIds.ToArray(), quoted = JsonSerializer.Serialize(value), replacementQuoted = JsonSerializer.Serialize(replacement) },
                transaction, cancellationToken: ct));

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
        var payloads = new string[events.Count];
        var i = 0;
        var wake = false;
        foreach (var e in events)
        {
            wake |= _wanted.Contains(e.GetType());
            ids[i] = Guid.CreateVersion7(now);
            typeNames[i] = types.NameOf(e);
            aggregates[i] = e.AggregateId;
            tenants[i] = e.TenantId;
            payloads[i] = JsonSerializer.Serialize(e, e.GetType(), EventTypes.Json);
            i++;
        }
        parameters.AddDynamicParams(new
        {
            outbox_now = now, outbox_ids = ids, outbox_types = typeNames, outbox_aggregates = aggregates, outbox_tenants = tenants, outbox_payloads = payloads,
        });
        // unnest keeps one statement per batch; "with ordinality" keeps the caller's order as the insert order.
        return $"""
            insert into domain_events (id, type, aggregate_id, tenant_id, occurred_at, payload)
            select e.id, e.type, e.aggregate_id, e.tenant_id, @outbox_now, e.payload::json
            from unnest(@outbox_ids, @outbox_types, @outbox_aggregates, @outbox_tenants, @outbox_payloads) with ordinality as e(id, type, aggregate_id, tenant_id, payload, n)
            order by e.n;
            {(wake ? $"select pg_notify('{WakeChannel}', '');" : "")}
            """;
    }
}
