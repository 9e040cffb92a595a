using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// Every Pricing:RecomputeMinutes, on one node: each lot's demand rate takes one step towards its target band, and
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
        var policies = (await connection.QueryAsync<(Guid LotId, string Policy)>(new CommandDefinition("select lot_id, policy::text from pricing_policies", cancellationToken: ct)))
            .ToDictionary(p => p.LotId, p => PricingService.Parse(p.Policy));
        var demand = (await connection.QueryAsync<(Guid LotId, decimal Rate)>(new CommandDefinition("select lot_id, demand_rate from lot_prices", cancellationToken: ct)))
            .ToDictionary(p => p.LotId, p => p.Rate);
        var events = await PricingService.EventsAsync(connection, null, now, now.AddSeconds(1), ct);
        var experiments = await ExperimentEndpoints.LoadAsync(connection, null, now, ct);
        var forecasts = await ForecastAsync(connection, now, ct);
        var rows = new List<(Guid LotId, double? Occupancy, double? Forecast, decimal Previous, decimal Demand, decimal Now, string Rule, decimal Time, decimal Surge)>(all.Count);
        foreach (var lot in all)
        {
            // A lot in a running experiment's variant group is priced by the variant.
            var policy = experiments.FirstOrDefault(e => e.TenantId == lot.TenantId && e.IsTreated(lot.Id))?.Variant
                         ?? policies.GetValueOrDefault(lot.Id, PricingPolicy.Default);
            var previous = demand.GetValueOrDefault(lot.Id, policy.BaseFor(lot));
            var occupancy = Occupancy(lot.Id);
            double? forecast = forecasts.TryGetValue(lot.Id, out var f) ? f : null;
            var step = PricingEngine.NextDemandRate(lot, policy, previous, occupancy, forecast);
            var (rateNow, time, surge, _) = PricingEngine.RateAt(lot, policy, events, step.Rate, now);
            rows.Add((lot.Id, occupancy, forecast, previous, step.Rate, rateNow, step.Rule, time, surge));
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = rows.Select(r => r.LotId).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into lot_prices (lot_id, demand_rate, rate_now, updated_at)
            select id, d, r, @now from unnest(@ids, @demand, @rates) as u(id, d, r)
            on conflict (lot_id) do update set demand_rate = excluded.demand_rate, rate_now = excluded.rate_now, updated_at = excluded.updated_at
            """, new { ids, demand = rows.Select(r => r.Demand).ToArray(), rates = rows.Select(r => r.Now).ToArray(), now }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into price_history (lot_id, at, occupancy, forecast, previous_rate, demand_rate, rate_now, rule, time_multiplier, event_multiplier)
            select id, @now, o, f, p, d, r, rule, t, s from unnest(@ids, @occupancy, @forecast, @previous, @demand, @rates, @rules, @time, @surge) as u(id, o, f, p, d, r, rule, t, s)
            """, new
        {
            ids, now, occupancy = rows.Select(r => r.Occupancy).ToArray(), forecast = rows.Select(r => r.Forecast).ToArray(), previous = rows.Select(r => r.Previous).ToArray(), demand = rows.Select(r => r.Demand).ToArray(),
            rates = rows.Select(r => r.Now).ToArray(), rules = rows.Select(r => r.Rule).ToArray(), time = rows.Select(r => r.Time).ToArray(), surge = rows.Select(r => r.Surge).ToArray(),
        }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("insert into pricing_runs (ran_at, lots) values (@now, @count) on conflict do nothing",
            new { now, count = rows.Count }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition($"select pg_notify('{PostgresNotifications.PricesChannel}', '')", transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        logger.LogInformation("Repriced {Lots} lots", rows.Count);
    }

    /// <summary>
    /// A seasonal-naive forecast from our own history: the mean occupancy each lot had over the coming interval at the
    /// same time on each of the past seven days. Lots without that history have none.
    /// </summary>
    private async Task<Dictionary<Guid, double>> ForecastAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct) =>
        (await connection.QueryAsync<(Guid LotId, double Forecast)>(new CommandDefinition("""
            select h.lot_id, avg(h.occupancy) from generate_series(1, 7) as d(days)
            join price_history h on h.at >= @now - make_interval(days => d.days) and h.at < @now - make_interval(days => d.days) + @ahead
            where h.occupancy is not null group by h.lot_id
            """, new { now, ahead = TimeSpan.FromMinutes(Math.Max(options.Value.RecomputeMinutes, 15)) }, cancellationToken: ct)))
        .ToDictionary(r => r.LotId, r => r.Forecast);

    /// <summary>Occupied share of the spaces in service, from the live model; null when the lot has no sensor state yet.</summary>
    private double? Occupancy(Guid lotId)
    {
        if (availability.Lot(lotId)?.Counts is not { } c) return null;
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
            var prices = (await connection.QueryAsync<(Guid LotId, decimal Rate)>("select lot_id, rate_now from lot_prices")).ToDictionary(p => p.LotId, p => p.Rate);
            availability.SetPrices(prices);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Loading prices failed: {Error}; availability keeps the last ones", e.Message);
        }
    }
}
