using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// Every Pricing:RecomputeMinutes, on one node: each lot's demand rate (and each zone's with a policy of its own) takes
/// one step towards its target band (the demand rate of the time band the run falls in), and the rate now (with time of day and events) is stored with the inputs that produced it, then announced to every node.
/// </summary>
public sealed class Repricing(NpgsqlDataSource db, LotCatalog lots, AvailabilityModel availability, EventOutbox outbox, IOccupancyForecasts occupancyForecasts,
    PricingInputsCache shown, IOptions<PricingOptions> options, ILogger<Repricing> logger)
    : IScheduledJob
{
    public string Name => "pricing";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (!options.Value.Scheduled) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        var last = await connection.ExecuteScalarAsync<DateTimeOffset?>(new CommandDefinition("select max(ran_at) from pricing_runs", cancellationToken: ct));
        if (last is { } l && now - l < TimeSpan.FromMinutes(options.Value.RecomputeMinutes)) return;
        await RecomputeAsync(connection, now, ct);
    }

    public async Task RecomputeAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        var all = await lots.AllAsync(ct);
        // Nothing to price yet (a fresh database being seeded): not a run, so the next round tries again.
        if (all.Count == 0) return;
        var policies = (await connection.QueryAsync<(Guid LotId, Guid? ZoneId, string Policy)>(new CommandDefinition(
            "select lot_id, zone_id, policy::text from pricing_policies", cancellationToken: ct))).ToList();
        var lotPolicies = policies.Where(p => p.ZoneId is null).ToDictionary(p => p.LotId, p => PricingService.Parse(p.Policy));
        var demand = (await connection.QueryAsync<(Guid UnitId, decimal Peak, decimal OffPeak)>(new CommandDefinition(
                "select unit_id, peak_demand_rate, off_peak_demand_rate from lot_prices", cancellationToken: ct)))
            .ToDictionary(p => p.UnitId, p => new DemandRates(p.Peak, p.OffPeak));
        var events = await PricingService.EventsAsync(connection, null, now, now.AddSeconds(1), ct);
        var experiments = (await PricingExperiments.LoadAsync(connection, null, now, ct)).Where(e => e.Unit == ExperimentUnits.Lots).ToList();
        var forecasts = await ForecastAsync(connection, all, now, ct);
        var byId = all.ToDictionary(l => l.Id);
        var units = new List<(LotFacts Lot, Guid? ZoneId, PricingPolicy Policy, double? Occupancy)>(all.Count);
        // A lot in a running experiment's variant group is priced by the variant.
        foreach (var lot in all)
            units.Add((lot, null, experiments.FirstOrDefault(e => e.TenantId == lot.TenantId && e.IsTreated(lot.Id))?.Variant ?? lotPolicies.GetValueOrDefault(lot.Id, PricingPolicy.Default),
                Occupancy(availability.Lot(lot.Id)?.Counts)));
        // A zone with a policy of its own is priced apart, by its own spaces' occupancy.
        foreach (var (lotId, zoneId, policy) in policies)
            if (zoneId is { } z && byId.TryGetValue(lotId, out var lot))
                units.Add((lot, z, PricingService.Parse(policy), Occupancy(availability.ZoneCounts(lotId, z))));

        var steps = new List<PriceStep>(units.Count);
        foreach (var (lot, zoneId, policy, occupancy) in units)
        {
            var unitId = zoneId ?? lot.Id;
            var rates = demand.GetValueOrDefault(unitId) ?? DemandRates.Both(policy.BaseFor(lot));
            // Only the band this run falls in answers to the occupancy now; the other keeps its rate for its own hours.
            var peak = PricingEngine.IsPeak(lot, policy, now);
            double? forecast = forecasts.TryGetValue(unitId, out var f) ? f : null;
            var step = PricingEngine.NextDemandRate(lot, policy, rates.For(peak), occupancy, forecast);
            var stepped = rates.With(peak, step.Rate);
            var (rateNow, time, surge, _) = PricingEngine.RateAt(lot, policy, events, stepped, now);
            var typeRates = policy.TypeMultipliers?.Keys.ToDictionary(t => t, t => PricingEngine.RateAt(lot, policy, events, stepped, now, t).Rate);
            steps.Add(new PriceStep(lot.TenantId, lot.Id, zoneId, now, occupancy, forecast, peak, rates.For(peak), stepped, rateNow, typeRates, step.Rule, time, surge));
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        await PriceSteps.WriteAsync(outbox, connection, tx, steps, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into pricing_runs (ran_at, lots) values (@now, @count) on conflict do nothing", new { now, count = all.Count }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        shown.Changed();
        logger.LogInformation("Repriced {Lots} lots and {Zones} zones", all.Count, steps.Count - all.Count);
    }

    /// <summary>
    /// Each pricing unit's expected occupancy over the coming interval: a lot's from Analytics' occupancy forecast (the
    /// mean of the forecast hours the interval touches) where its tenant has a trained model; otherwise, and for zones,
    /// the seasonal-naive baseline from our own history. Units without either have none.
    /// </summary>
    private async Task<Dictionary<Guid, double>> ForecastAsync(NpgsqlConnection connection, IReadOnlyList<LotFacts> all, DateTimeOffset now, CancellationToken ct)
    {
        var ahead = TimeSpan.FromMinutes(Math.Max(options.Value.RecomputeMinutes, 15));
        var forecasts = await SameTimeLastWeekAsync(connection, now, ahead, ct);
        foreach (var lot in all)
            if (await occupancyForecasts.ForecastAsync(lot.Id, now, now + ahead, ct) is { Count: > 0 } hours)
                forecasts[lot.Id] = hours.Average(h => h.Occupancy);
        return forecasts;
    }

    /// <summary>
    /// A seasonal-naive forecast from our own history: the mean occupancy each lot had over the coming interval at the
    /// same time on each of the past seven days, by pricing unit (lot or zone).
    /// </summary>
    private static async Task<Dictionary<Guid, double>> SameTimeLastWeekAsync(NpgsqlConnection connection, DateTimeOffset now, TimeSpan ahead, CancellationToken ct) =>
        (await connection.QueryAsync<(Guid UnitId, double Forecast)>(new CommandDefinition("""
            select h.unit_id, avg(h.occupancy) from generate_series(1, 7) as d(days)
            join price_history h on h.at >= @now - make_interval(days => d.days) and h.at < @now - make_interval(days => d.days) + @ahead
            where h.occupancy is not null group by h.unit_id
            """, new { now, ahead }, cancellationToken: ct)))
        .ToDictionary(r => r.UnitId, r => r.Forecast);

    /// <summary>Occupied share of the spaces in service, from the live model; null when they have no sensor state yet.</summary>
    private static double? Occupancy(Counts? counts)
    {
        if (counts is not { } c) return null;
        var inService = c.Free + c.Occupied + c.Reserved;
        return inService == 0 ? null : (double)(c.Occupied + c.Reserved) / inService;
    }
}
