using System.Collections.Concurrent;
using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// What shown prices (search results, the chat's answers, the public quote) are made from, kept a few seconds per lot and
/// per tenant: a busy search or chat otherwise reads the same policies, demand rates, events and experiments again for
/// every answer. A change made through this node (a policy, an event, an experiment, a scheduler run) is seen at once,
/// one made on another node within <see cref="Lifetime"/>. What a driver pays is never priced from here: a booking or
/// a session reads its inputs in its own transaction.
/// </summary>
public sealed class PricingInputsCache(NpgsqlDataSource db, TimeProvider time)
{
    /// <summary>How long a read is used; the bound on how late a change made on another node shows in a shown price.</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>How far ahead the kept events and experiments reach; a stay ending later is priced from a read of its own.</summary>
    private static readonly TimeSpan Horizon = TimeSpan.FromDays(31);

    /// <summary>How far back they reach: a caller's "now" may be a moment older than the read.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMinutes(1);

    /// <summary>More lots than any catalogue holds: past it, everything is read again rather than kept without bound.</summary>
    private const int MaxLots = 200_000;

    private readonly ConcurrentDictionary<Guid, LotInputs> _lots = new();
    private readonly ConcurrentDictionary<Guid, TenantInputs> _tenants = new();
    private readonly Lock _storing = new();
    private long _generation;

    /// <summary>Pricing changed through this node: nothing read before is used again.</summary>
    public void Changed()
    {
        lock (_storing)
        {
            _generation++;
            _lots.Clear();
            _tenants.Clear();
        }
    }

    /// <summary>The inputs of each lot for a stay of [from, to), in the order given; one round trip for what is not kept.</summary>
    public async Task<IReadOnlyList<PricingInputs>> InputsAsync(IReadOnlyList<Lots.LotFacts> lots, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var lotIds = lots.Select(l => l.Id).Distinct().ToList();
        var tenantIds = lots.Select(l => l.TenantId).Distinct().ToList();
        Dictionary<Guid, LotInputs> lotInputs;
        Dictionary<Guid, TenantInputs> tenantInputs;
        if (from >= now - Slack && to <= now + Horizon - Lifetime)
        {
            lotInputs = Fresh(_lots, lotIds, now, l => l.ReadAt);
            tenantInputs = Fresh(_tenants, tenantIds, now, t => t.ReadAt);
            var lotsMissing = lotIds.Where(id => !lotInputs.ContainsKey(id)).ToList();
            var tenantsMissing = tenantIds.Where(id => !tenantInputs.ContainsKey(id)).ToList();
            if (lotsMissing.Count > 0 || tenantsMissing.Count > 0)
            {
                var generation = Volatile.Read(ref _generation);
                var (readLots, readTenants) = await ReadAsync(lotsMissing, tenantsMissing, now - Slack, now + Horizon, now, ct);
                // A read that a change may have overtaken is used for this answer only.
                lock (_storing)
                {
                    if (_generation == generation)
                    {
                        if (_lots.Count + readLots.Count > MaxLots) _lots.Clear();
                        foreach (var (id, read) in readLots) _lots[id] = read;
                        foreach (var (id, read) in readTenants) _tenants[id] = read;
                    }
                }
                foreach (var (id, read) in readLots) lotInputs[id] = read;
                foreach (var (id, read) in readTenants) tenantInputs[id] = read;
            }
        }
        else
        {
            // A stay far ahead or in the past: read for its window alone, not kept.
            (lotInputs, tenantInputs) = await ReadAsync(lotIds, tenantIds, from, to, now, ct);
        }
        return lots.Select(lot => lotInputs[lot.Id].For(tenantInputs[lot.TenantId], from, to)).ToList();
    }

    /// <summary>The entries kept for these keys that are younger than <see cref="Lifetime"/>.</summary>
    private static Dictionary<Guid, T> Fresh<T>(ConcurrentDictionary<Guid, T> kept, List<Guid> ids, DateTimeOffset now, Func<T, DateTimeOffset> readAt)
    {
        var fresh = new Dictionary<Guid, T>(ids.Count);
        foreach (var id in ids)
            if (kept.TryGetValue(id, out var entry) && now - readAt(entry) < Lifetime) fresh[id] = entry;
        return fresh;
    }

    /// <summary>
    /// The lots' policies and demand rates, and the tenants' events meeting [after, until) and experiments running in
    /// it; every lot and tenant asked for gets an entry, empty when it has nothing.
    /// </summary>
    private async Task<(Dictionary<Guid, LotInputs> Lots, Dictionary<Guid, TenantInputs> Tenants)> ReadAsync(
        List<Guid> lotIds, List<Guid> tenantIds, DateTimeOffset after, DateTimeOffset until, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            select lot_id, zone_id, policy::text from pricing_policies where lot_id = any(@lotIds);
            select lot_id, zone_id, peak_demand_rate, off_peak_demand_rate from lot_prices where lot_id = any(@lotIds);
            {PricingService.EventRow.Select} where tenant_id = any(@tenantIds) and starts_at < @until and ends_at > @after;
            {ExperimentRow.Select} where tenant_id = any(@tenantIds) and starts_at < @until and ends_at > @after
            """, new { lotIds = lotIds.ToArray(), tenantIds = tenantIds.ToArray(), after, until }, cancellationToken: ct));
        var policies = (await results.ReadAsync<(Guid LotId, Guid? ZoneId, string Policy)>()).ToLookup(p => p.LotId, p => (p.ZoneId, p.Policy));
        var demand = (await results.ReadAsync<(Guid LotId, Guid? ZoneId, decimal Peak, decimal OffPeak)>())
            .ToLookup(d => d.LotId, d => (d.ZoneId, Rates: new DemandRates(d.Peak, d.OffPeak)));
        var events = (await results.ReadAsync<PricingService.EventRow>()).ToLookup(e => e.TenantId, e => e.ToEvent());
        var experiments = (await results.ReadAsync<ExperimentRow>()).ToLookup(e => e.TenantId, e => e.ToExperiment());
        return (lotIds.ToDictionary(id => id, id => LotInputs.From(policies[id].ToList(), demand[id].ToList(), now)),
            tenantIds.ToDictionary(id => id, id => new TenantInputs(events[id].ToList(), experiments[id].ToList(), now)));
    }

    /// <summary>A lot's own and its zones' policies (parsed once) and demand rates.</summary>
    private sealed record LotInputs(PricingPolicy LotPolicy, DemandRates? LotDemand, IReadOnlyDictionary<Guid, (PricingPolicy Policy, DemandRates? Demand)> Zones, DateTimeOffset ReadAt)
    {
        public static readonly LotInputs None = From([], [], DateTimeOffset.MinValue);

        public static LotInputs From(IReadOnlyList<(Guid? ZoneId, string Policy)> policies, IReadOnlyList<(Guid? ZoneId, DemandRates Rates)> demand, DateTimeOffset readAt)
        {
            var inputs = PricingService.Inputs(policies, demand, [], []);
            return new LotInputs(inputs.LotPolicy, inputs.LotDemand, inputs.Zones, readAt);
        }

        /// <summary>With the events that meet the stay and the experiments running when it starts, as a booking reads them.</summary>
        public PricingInputs For(TenantInputs tenant, DateTimeOffset from, DateTimeOffset to) => new(LotPolicy, LotDemand, Zones,
            tenant.Events.Where(e => e.StartsAt < to && e.EndsAt > from).ToList(),
            tenant.Experiments.Where(e => e.StartsAt <= from && e.EndsAt > from).ToList());
    }

    private sealed record TenantInputs(IReadOnlyList<PricingEvent> Events, IReadOnlyList<PricingExperiment> Experiments, DateTimeOffset ReadAt)
    {
        public static readonly TenantInputs None = new([], [], DateTimeOffset.MinValue);
    }
}
