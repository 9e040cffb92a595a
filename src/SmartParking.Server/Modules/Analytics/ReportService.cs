using System.Security.Claims;
using SmartParking.Server.Modules.Analytics.Rollups;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Tables;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>
/// Charts and the summary report for an operator's tenant (an admin's: every tenant). Every figure comes from the module
/// that owns it, through its public service: occupancy from Analytics' own hourly rollups (Pricing's price history where
/// they have no hour; the summary's averages still come from there), money from the Payments ledger,
/// counts from Reservations and Sessions, lots from the Lots tables.
/// </summary>
public sealed class ReportService(LotCatalog lots, IDataTable<LotResponse> lotsTable, IDataTable<Sensor> sensors, OccupancyHistory occupancy, RollupReader rollups, IRevenueReports revenue,
    ReservationQueries reservations, SessionStats sessions, AvailabilityModel availability, TimeProvider time)
{
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(31);

    /// <summary>
    /// Hourly occupancy of one lot, or of the tenant's lots together, from lot_occupancy_hourly (the live rollup of
    /// minute samples, or imported history). A lot's hour missing there (before rollups ran) falls back to price_history,
    /// where each pricing recompute stored the lot's occupancy; Source names the tables the points came from.
    /// </summary>
    public async Task<OccupancySeries> OccupancyAsync(ClaimsPrincipal user, Guid? lotId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var (start, end) = Window(from, to, TimeSpan.FromDays(1));
        start = start.ToWholeHour();
        var ids = lotId is { } id ? [(await lots.FindForOperatorAsync(id, user, ct)).Id] : await lots.LotIdsAsync(user.TenantScope(), ct);
        var rolled = (await rollups.LotHoursAsync(ids, start, end, ct)).Select(h => new OccupancySample(h.LotId, h.Hour, h.Occupancy, h.Peak, h.Samples)).ToList();
        var covered = rolled.Select(h => (h.LotId, h.Hour)).ToHashSet();
        var priced = (await occupancy.HourlyAsync(ids, start, end, ct)).Where(s => !covered.Contains((s.LotId, s.Hour))).ToList();
        var samples = rolled.Concat(priced).ToList();
        var source = rolled.Count == 0 ? "price_history" : priced.Count == 0 ? "lot_occupancy_hourly" : "lot_occupancy_hourly+price_history";
        // A lot counts by its spaces, so a 500-space garage weighs more than a 10-space street.
        var weights = ids.ToDictionary(i => i, i => Math.Max(1, availability.Lot(i)?.Counts.Total ?? 1));
        var byHour = samples.GroupBy(s => s.Hour).ToDictionary(g => g.Key, g => g.ToList());
        var points = new List<OccupancyPoint>();
        for (var hour = start; hour < end; hour = hour.AddHours(1))
        {
            if (!byHour.TryGetValue(hour, out var found)) { points.Add(new OccupancyPoint(hour, null, null, 0)); continue; }
            var weight = found.Sum(s => (double)weights[s.LotId]);
            points.Add(new OccupancyPoint(hour, Math.Round(found.Sum(s => s.Average * weights[s.LotId]) / weight, 4), found.Max(s => s.Peak), found.Sum(s => s.Samples)));
        }
        return new OccupancySeries(lotId, start, end, source, points);
    }

    public async Task<RevenueSeries> RevenueAsync(ClaimsPrincipal user, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var (start, end) = Window(from, to, TimeSpan.FromDays(30));
        var days = await revenue.ByDayAsync(user.TenantScope(), start, end, ct);
        var totals = days.GroupBy(d => d.Currency).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CurrencyTotal(g.Key, g.Sum(d => d.Charged), g.Sum(d => d.Refunded), g.Sum(d => d.Net))).ToList();
        return new RevenueSeries(start, end, days, totals);
    }

    public async Task<Summary> SummaryAsync(ClaimsPrincipal user, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var (start, end) = Window(from, to, TimeSpan.FromDays(7));
        var tenant = user.TenantScope();
        var name = tenant is { } t ? await lots.TenantNameAsync(t, ct) ?? "Unknown tenant" : "All tenants";
        var tenantLots = await lotsTable.AllRowsAsync(user, new TableRequest(), IDataTable<LotResponse>.MaxExportRows, ct);
        var samples = await occupancy.HourlyAsync(tenantLots.Select(l => l.Id).ToList(), start, end, ct);
        var bookings = await reservations.CountByLotAsync(tenant, start, end, ct);
        var stays = await sessions.CountByLotAsync(tenant, start, end, ct);

        var money = await revenue.ByReferenceAsync(tenant, start, end, ct);
        var sessionIds = money.Where(m => m.Purpose == "session").Select(m => m.ReferenceId).Distinct().ToList();
        var reservationIds = money.Where(m => m.Purpose != "session").Select(m => m.ReferenceId).Distinct().ToList();
        var lotOf = new Dictionary<Guid, Guid>(await sessions.LotsOfAsync(sessionIds, ct));
        foreach (var (id, lot) in await reservations.LotsOfAsync(reservationIds, ct)) lotOf[id] = lot;

        var lines = tenantLots.Select(l =>
        {
            var own = samples.Where(s => s.LotId == l.Id).ToList();
            double? average = own.Count == 0 ? null : Math.Round(own.Sum(s => s.Average * s.Samples) / own.Sum(s => s.Samples), 4);
            var lotRevenue = money.Where(m => lotOf.GetValueOrDefault(m.ReferenceId) == l.Id).GroupBy(m => m.Currency)
                .ToDictionary(g => g.Key, g => g.Sum(m => m.Net));
            return new LotSummary(l.Id, l.Name, l.TotalCapacity, average, bookings.GetValueOrDefault(l.Id), stays.GetValueOrDefault(l.Id), lotRevenue);
        }).ToList();
        var totals = (await RevenueAsync(user, start, end, ct)).Totals;
        var offline = await sensors.PageAsync(user, new TableRequest { PageSize = 20 }.With("offline", true), ct);
        return new Summary(name, start, end, lines, totals, bookings.Values.Sum(), stays.Values.Sum(), (int)offline.Total, offline.Items);
    }

    /// <summary>[from, to): to defaults to now, from to <paramref name="span"/> before it; at most 31 days.</summary>
    private (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset? from, DateTimeOffset? to, TimeSpan span)
    {
        new Validation().Instant(from, "from").Instant(to, "to").ThrowIfInvalid();
        var end = (to ?? time.GetUtcNow()).ToUniversalTime();
        var start = (from ?? end - span).ToUniversalTime();
        new Validation()
            .Check(start < end, "from", "must be before to.")
            .Check(end - start <= MaxWindow, "from", "the window is at most 31 days.")
            .ThrowIfInvalid();
        return (start, end);
    }
}
