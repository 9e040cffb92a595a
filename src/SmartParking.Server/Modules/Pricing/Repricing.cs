using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// Every Pricing:RecomputeMinutes, on one node: each lot's demand rate (and each zone's with a policy of its own) takes
/// one step towards its target band, and
/// the rate now (with time of day and events) is stored with the inputs that produced it, then announced to every node.
/// </summary>
public sealed class Repricing(NpgsqlDataSource db, LotCatalog lots, AvailabilityModel availability, IOptions<PricingOptions> options, ILogger<Repricing> logger)
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
        var demand = (await connection.QueryAsync<(Guid UnitId, decimal Rate)>(new CommandDefinition("select unit_id, demand_rate from lot_prices", cancellationToken: ct)))
            .ToDictionary(p => p.UnitId, p => p.Rate);
        var events = await PricingService.EventsAsync(connection, null, now, now.AddSeconds(1), ct);
        var experiments = (await PricingExperiments.LoadAsync(connection, null, now, ct)).Where(e => e.Unit == ExperimentUnits.Lots).ToList();
        var forecasts = await ForecastAsync(connection, now, ct);
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

        var rows = new List<PriceRow>(units.Count);
        foreach (var (lot, zoneId, policy, occupancy) in units)
        {
            var unitId = zoneId ?? lot.Id;
            var previous = demand.GetValueOrDefault(unitId, policy.BaseFor(lot));
            double? forecast = forecasts.TryGetValue(unitId, out var f) ? f : null;
            var step = PricingEngine.NextDemandRate(lot, policy, previous, occupancy, forecast);
            var (rateNow, time, surge, _) = PricingEngine.RateAt(lot, policy, events, step.Rate, now);
            var typeRates = policy.TypeMultipliers?.Keys.ToDictionary(t => t, t => PricingEngine.RateAt(lot, policy, events, step.Rate, now, t).Rate);
            rows.Add(new PriceRow(lot.Id, zoneId, occupancy, forecast, previous, step.Rate, rateNow, typeRates, step.Rule, time, surge));
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var columns = new
        {
            now,
            lotIds = rows.Select(r => r.LotId).ToArray(),
            zoneIds = rows.Select(r => r.ZoneId).ToArray(),
            occupancy = rows.Select(r => r.Occupancy).ToArray(),
            forecast = rows.Select(r => r.Forecast).ToArray(),
            previous = rows.Select(r => r.Previous).ToArray(),
            demand = rows.Select(r => r.Demand).ToArray(),
            rates = rows.Select(r => r.Now).ToArray(),
            typeRates = rows.Select(r => r.TypeRates is null ? null : JsonSerializer.Serialize(r.TypeRates)).ToArray(),
            rules = rows.Select(r => r.Rule).ToArray(),
            time = rows.Select(r => r.Time).ToArray(),
            surge = rows.Select(r => r.Surge).ToArray(),
            count = all.Count,
        };
        await connection.ExecuteAsync(new CommandDefinition($"""
            insert into lot_prices (lot_id, zone_id, demand_rate, rate_now, type_rates, updated_at)
            select l, z, d, r, tr::jsonb, @now from unnest(@lotIds, @zoneIds, @demand, @rates, @typeRates) as u(l, z, d, r, tr)
            on conflict (unit_id) do update set demand_rate = excluded.demand_rate, rate_now = excluded.rate_now, type_rates = excluded.type_rates, updated_at = excluded.updated_at;
            insert into price_history (lot_id, zone_id, at, occupancy, forecast, previous_rate, demand_rate, rate_now, rule, time_multiplier, event_multiplier)
            select l, z, @now, o, f, p, d, r, rule, t, s from unnest(@lotIds, @zoneIds, @occupancy, @forecast, @previous, @demand, @rates, @rules, @time, @surge) as u(l, z, o, f, p, d, r, rule, t, s)
            on conflict (unit_id, at) do update set occupancy = excluded.occupancy, forecast = excluded.forecast, previous_rate = excluded.previous_rate,
                demand_rate = excluded.demand_rate, rate_now = excluded.rate_now, rule = excluded.rule, time_multiplier = excluded.time_multiplier,
                event_multiplier = excluded.event_multiplier;
            insert into pricing_runs (ran_at, lots) values (@now, @count) on conflict do nothing;
            select pg_notify('{PostgresNotifications.PricesChannel}', '')
            """, columns, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        logger.LogInformation("Repriced {Lots} lots and {Zones} zones", all.Count, rows.Count - all.Count);
    }

    private sealed record PriceRow(Guid LotId, Guid? ZoneId, double? Occupancy, double? Forecast, decimal Previous, decimal Demand, decimal Now,
        Dictionary<string, decimal>? TypeRates, string Rule, decimal Time, decimal Surge);

    /// <summary>
    /// A seasonal-naive forecast from our own history: the mean occupancy each lot had over the coming interval at the
    /// same time on each of the past seven days, by pricing unit (lot or zone). Units without that history have none.
    /// </summary>
    private async Task<Dictionary<Guid, double>> ForecastAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct) =>
        (await connection.QueryAsync<(Guid UnitId, double Forecast)>(new CommandDefinition("""
            select h.unit_id, avg(h.occupancy) from generate_series(1, 7) as d(days)
            join price_history h on h.at >= @now - make_interval(days => d.days) and h.at < @now - make_interval(days => d.days) + @ahead
            where h.occupancy is not null group by h.unit_id
            """, new { now, ahead = TimeSpan.FromMinutes(Math.Max(options.Value.RecomputeMinutes, 15)) }, cancellationToken: ct)))
        .ToDictionary(r => r.UnitId, r => r.Forecast);

    /// <summary>Occupied share of the spaces in service, from the live model; null when they have no sensor state yet.</summary>
    private static double? Occupancy(Counts? counts)
    {
        if (counts is not { } c) return null;
        var inService = c.Free + c.Occupied + c.Reserved;
        return inService == 0 ? null : (double)(c.Occupied + c.Reserved) / inService;
    }
}

/// <summary>Every node's availability shows each lot's rate now, reloaded when the scheduler announces new prices.</summary>
public sealed class PriceBoard(NpgsqlDataSource db, AvailabilityModel availability, PostgresNotifications notifications, ILogger<PriceBoard> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        notifications.Subscribe(PostgresNotifications.PricesChannel, payload => _ = LoadSafeAsync());
        notifications.OnResync(() => _ = LoadSafeAsync());
        await LoadSafeAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task LoadSafeAsync()
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync();
            var prices = (await connection.QueryAsync<(Guid UnitId, decimal Rate, string? TypeRates)>("select unit_id, rate_now, type_rates::text from lot_prices"))
                .ToDictionary(p => p.UnitId, p => new UnitPrice(p.Rate, p.TypeRates is null ? null : JsonSerializer.Deserialize<Dictionary<string, decimal>>(p.TypeRates)));
            availability.SetPrices(prices);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Loading prices failed: {Error}; availability keeps the last ones", e.Message);
        }
    }
}
