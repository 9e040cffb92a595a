using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics.DailyReports;

/// <summary>
/// Gathers a tenant's local day from the modules that own each figure: occupancy from Analytics' own hourly rollup
/// (pricing's samples where it has none), counts from Reservations and Sessions, money from the Payments ledger,
/// alerts from Notifications, and today's forecast from <see cref="IOccupancyForecasts"/>.
/// </summary>
public sealed class DailyReportBuilder(
    NpgsqlDataSource db, LotCatalog lots, OccupancyHistory occupancy, IRevenueReports revenue, ReservationQueries reservations, SessionStats sessions,
    IOperatorAlerts alerts, IOccupancyForecasts forecasts)
{
    public const string RollupSource = "rollup", PricingSource = "price_history";

    public async Task<DailyReport> BuildAsync(Tenant tenant, DateOnly date, TimeZoneInfo zone, DateTimeOffset now, CancellationToken ct)
    {
        var from = Instants.AtLocal(date, TimeSpan.Zero, zone);
        var to = Instants.AtLocal(date.AddDays(1), TimeSpan.Zero, zone);
        var todayEnd = Instants.AtLocal(date.AddDays(2), TimeSpan.Zero, zone);

        var spaces = await lots.SpaceCountsAsync(tenant.Id, ct);
        var ids = spaces.Keys.ToList();
        var rollup = await RollupAsync(ids, from, to, ct);
        var missing = ids.Where(id => !rollup.ContainsKey(id)).ToList();
        var sampled = (await occupancy.HourlyAsync(missing, from, to, ct)).GroupBy(s => s.LotId).ToDictionary(
            g => g.Key, g => (Mean: Math.Round(g.Average(s => s.Average), 4), Peak: g.Max(s => s.Peak)));
        var bookings = await reservations.CountByLotAsync(tenant.Id, from, to, ct);
        var stays = await sessions.CountByLotAsync(tenant.Id, from, to, ct);

        var money = await revenue.ByReferenceAsync(tenant.Id, from, to, ct);
        var lotOf = new Dictionary<Guid, Guid>(await sessions.LotsOfAsync(money.Where(m => m.Purpose == "session").Select(m => m.ReferenceId).Distinct().ToList(), ct));
        foreach (var (id, lot) in await reservations.LotsOfAsync(money.Where(m => m.Purpose != "session").Select(m => m.ReferenceId).Distinct().ToList(), ct))
            lotOf[id] = lot;

        var lines = new List<DailyLotLine>();
        foreach (var id in ids)
        {
            var name = (await lots.FindAsync(id, ct))?.Name ?? id.ToString();
            var (mean, peak, source) = rollup.TryGetValue(id, out var r) ? (r.Mean, r.Peak, RollupSource)
                : sampled.TryGetValue(id, out var s) ? (s.Mean, s.Peak, PricingSource)
                : ((double?)null, (double?)null, (string?)null);
            var lotRevenue = money.Where(m => lotOf.GetValueOrDefault(m.ReferenceId) == id).GroupBy(m => m.Currency)
                .ToDictionary(g => g.Key, g => g.Sum(m => m.Net));
            lines.Add(new DailyLotLine(id, name, spaces[id], mean, peak, source, bookings.GetValueOrDefault(id), stays.GetValueOrDefault(id), lotRevenue,
                await forecasts.ForecastAsync(id, to, todayEnd, ct)));
        }
        var totals = money.GroupBy(m => m.Currency).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new CurrencyNet(g.Key, g.Sum(m => m.Net))).ToList();
        return new DailyReport(tenant.Id, tenant.Name, date, zone.Id, from, to, now,
            [.. lines.OrderBy(l => l.Name, StringComparer.CurrentCultureIgnoreCase)], totals, await alerts.ActivityAsync(tenant.Id, from, to, ct));
    }

    /// <summary>Per lot with rollup rows in [from, to): the mean of its hourly occupancy and the highest peak.</summary>
    private async Task<Dictionary<Guid, (double Mean, double Peak)>> RollupAsync(IReadOnlyCollection<Guid> lotIds, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (lotIds.Count == 0) return [];
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid LotId, double Mean, double Peak)>(new CommandDefinition("""
            select lot_id, avg(occupancy), max(peak) from lot_occupancy_hourly
            where lot_id = any(@ids) and hour >= @from and hour < @to
            group by lot_id
            """, new { ids = lotIds.ToArray(), from, to }, cancellationToken: ct))).ToDictionary(r => r.LotId, r => (Math.Round(r.Mean, 4), r.Peak));
    }
}
