using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// Records domain events on the caller's connection and transaction, so an event exists exactly when the change it
/// describes committed. A wake-up notice goes out with the commit; the dispatcher does the rest.
/// </summary>
public sealed class EventOutbox(EventTypes types, TimeProvider time)
{
    public const string WakeChannel = "domain_events";

    public Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IDomainEvent domainEvent, CancellationToken ct) =>
        AppendAsync(connection, transaction, [domainEvent], ct);

    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<IDomainEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        var now = time.GetUtcNow();
        var ids = new Guid[events.Count];
        var typeNames = new string[events.Count];
        var aggregates = new string[events.Count];
        var tenants = new Guid?[events.Count];
        var payloads = new string[events.Count];
        var i = 0;
        foreach (var e in events)
        {
            ids[i] = Guid.CreateVersion7(now);
            typeNames[i] = types.NameOf(e);
            aggregates[i] = e.AggregateId;
            tenants[i] = e.TenantId;
            payloads[i] = JsonSerializer.Serialize(e, e.GetType(), EventTypes.Json);
            i++;
        }
        // unnest keeps one round trip per batch; "with ordinality" keeps the caller's order in the insert order.
        await using var command = new NpgsqlCommand("""
            insert into domain_events (id, type, aggregate_id, tenant_id, occurred_at, payload)
            select e.id, e.type, e.aggregate_id, e.tenant_id, @now, e.payload::jsonb
            from unnest(@ids, @types, @aggregates, @tenants, @payloads) with ordinality as e(id, type, aggregate_id, tenant_id, payload, n)
            order by e.n;
            select pg_notify('domain_events', '')
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("now", now));
        command.Parameters.Add(new NpgsqlParameter("ids", ids));
        command.Parameters.Add(new NpgsqlParameter("types", typeNames));
        command.Parameters.Add(new NpgsqlParameter("aggregates", aggregates));
        command.Parameters.Add(new NpgsqlParameter("tenants", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = tenants.Select(t => (object?)t ?? DBNull.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("payloads", payloads));
        await command.ExecuteNonQueryAsync(ct);
    }
}
