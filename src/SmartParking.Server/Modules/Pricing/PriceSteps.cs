using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// One pricing step of a unit (a lot, or a zone with its own policy of its own): the band it stepped, what it answered to
/// and the rates it left.
/// </summary>
public sealed record PriceStep(Guid TenantId, Guid LotId, Guid? ZoneId, DateTimeOffset At, double? Occupancy, double? Forecast, bool Peak, decimal Previous,
    DemandRates Rates, decimal RateNow, IReadOnlyDictionary<string, decimal>? TypeRates, string Rule, decimal Time, decimal Surge);

/// <summary>
/// Where every price change is written (the scheduler, a policy edit, the demo's past week): each step into the price
/// history with its inputs, so any price can be explained, and each unit's latest step as its price now.
/// </summary>
internal static class PriceSteps
{
    /// <summary>Writes the steps, and a PriceChanged for each unit's latest one, in the caller's transaction.</summary>
    public static async Task WriteAsync(EventOutbox outbox, NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<PriceStep> steps, CancellationToken ct)
    {
        await WriteStepsAsync(connection, tx, steps, ct);
        await outbox.AppendAsync(connection, tx, [.. steps.GroupBy(s => s.ZoneId ?? s.LotId).Select(unit => unit.MaxBy(s => s.At)!)
            .Select(s => new PriceChanged(s.ZoneId ?? s.LotId, s.LotId, s.ZoneId, s.TenantId, s.RateNow, s.TypeRates, s.At))], ct);
    }

    private static Task WriteStepsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<PriceStep> steps, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into price_history (lot_id, zone_id, at, occupancy, forecast, period, previous_rate, demand_rate, rate_now, rule, time_multiplier, event_multiplier)
            select l, z, at, o, f, period, p, case when period = 'peak' then pd else od end, r, rule, t, s
            from unnest(@lotIds, @zoneIds, @at, @occupancy, @forecast, @periods, @previous, @peakRates, @offPeakRates, @rates, @rules, @time, @surge)
                as u(l, z, at, o, f, period, p, pd, od, r, rule, t, s)
            on conflict (unit_id, at) do update set occupancy = excluded.occupancy, forecast = excluded.forecast, period = excluded.period,
                previous_rate = excluded.previous_rate, demand_rate = excluded.demand_rate, rate_now = excluded.rate_now, rule = excluded.rule,
                time_multiplier = excluded.time_multiplier, event_multiplier = excluded.event_multiplier;
            insert into lot_prices (lot_id, zone_id, peak_demand_rate, off_peak_demand_rate, rate_now, type_rates, updated_at)
            select distinct on (coalesce(z, l)) l, z, pd, od, r, tr::jsonb, at
            from unnest(@lotIds, @zoneIds, @at, @peakRates, @offPeakRates, @rates, @typeRates) as u(l, z, at, pd, od, r, tr)
            order by coalesce(z, l), at desc
            on conflict (unit_id) do update set peak_demand_rate = excluded.peak_demand_rate, off_peak_demand_rate = excluded.off_peak_demand_rate,
                rate_now = excluded.rate_now, type_rates = excluded.type_rates, updated_at = excluded.updated_at
            """, new
        {
            lotIds = steps.Select(s => s.LotId).ToArray(),
            zoneIds = steps.Select(s => s.ZoneId).ToArray(),
            at = steps.Select(s => s.At).ToArray(),
            occupancy = steps.Select(s => s.Occupancy).ToArray(),
            forecast = steps.Select(s => s.Forecast).ToArray(),
            periods = steps.Select(s => PricingPeriods.Of(s.Peak)).ToArray(),
            previous = steps.Select(s => s.Previous).ToArray(),
            peakRates = steps.Select(s => s.Rates.Peak).ToArray(),
            offPeakRates = steps.Select(s => s.Rates.OffPeak).ToArray(),
            rates = steps.Select(s => s.RateNow).ToArray(),
            typeRates = steps.Select(s => s.TypeRates is null ? null : JsonSerializer.Serialize(s.TypeRates)).ToArray(),
            rules = steps.Select(s => s.Rule).ToArray(),
            time = steps.Select(s => s.Time).ToArray(),
            surge = steps.Select(s => s.Surge).ToArray(),
        }, tx, cancellationToken: ct));
}
