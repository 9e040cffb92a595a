using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// Every price recompute of one lot (filter lotId, required; another tenant's lot is a 404) or of one zone priced on
/// its own (zoneId instead): the rate, the occupancy it saw, and the rule and multipliers that explain the change.
/// Optional from/to narrow the window.
/// </summary>
public sealed class PriceHistoryTable(NpgsqlDataSource db, LotCatalog lots) : DataTable<PriceHistoryEntry>(db)
{
    public static readonly TableDefinition<PriceHistoryEntry> Table = new("price-history", "Price history",
    [
        new("at", "Time", h => h.At, ColumnKind.Instant, "at"),
        new("rateNow", "Price per hour", h => h.RateNow, ColumnKind.Money, "rate_now"),
        new("occupancy", "Occupancy", h => h.Occupancy, ColumnKind.Share, "occupancy"),
        new("forecast", "Forecast occupancy", h => h.Forecast, ColumnKind.Share, "forecast"),
        new("rule", "Rule", h => h.Rule, SortSql: "rule"),
        new("period", "Band", h => h.Period, SortSql: "period"),
        new("previousRate", "Previous demand rate", h => h.PreviousRate, ColumnKind.Money, "previous_rate"),
        new("demandRate", "Demand rate", h => h.DemandRate, ColumnKind.Money, "demand_rate"),
        new("timeMultiplier", "Time multiplier", h => h.TimeMultiplier, ColumnKind.Number, "time_multiplier"),
        new("eventMultiplier", "Event multiplier", h => h.EventMultiplier, ColumnKind.Number, "event_multiplier"),
    ], "at", SortDirection.Descending, "unit_id");

    public override TableDefinition<PriceHistoryEntry> Definition => Table;

    private const string SelectSql = "select at, occupancy, forecast, previous_rate, demand_rate, rate_now, rule, time_multiplier, event_multiplier, period";

    protected override async Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var zoneId = request.Guid("zoneId");
        var from = request.Instant("from");
        var to = request.Instant("to");
        Guid unitId;
        if (zoneId is { } zone)
        {
            await lots.FindZoneLotForOperatorAsync(zone, user, ct);
            unitId = zone;
        }
        else unitId = (await lots.FindForOperatorAsync(request.RequiredGuid("lotId"), user, ct)).Id;
        return new TableSql(SelectSql, "from price_history",
            "where unit_id = @unitId and (@from::timestamptz is null or at >= @from) and (@to::timestamptz is null or at < @to)", new { unitId, from, to });
    }
}

/// <summary>One hour of a lot's occupancy as the pricing recomputes sampled it.</summary>
public sealed record OccupancySample(Guid LotId, DateTimeOffset Hour, double Average, double Peak, int Samples);

/// <summary>
/// Occupancy over time from price_history: every recompute (Pricing:RecomputeMinutes, 5 by default) records the lot's
/// occupancy from live availability, so it is already a regular, per-lot series that needs no scan of raw readings.
/// </summary>
public sealed class OccupancyHistory(NpgsqlDataSource db)
{
    public async Task<IReadOnlyList<OccupancySample>> HourlyAsync(IReadOnlyCollection<Guid> lotIds, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (lotIds.Count == 0) return [];
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid LotId, DateTime Hour, double Average, double Peak, int Samples)>(new CommandDefinition("""
            select lot_id, date_trunc('hour', at at time zone 'UTC'), avg(occupancy), max(occupancy), count(*)::int
            from price_history
            where lot_id = any(@ids) and zone_id is null and occupancy is not null and at >= @from and at < @to
            group by 1, 2 order by 1, 2
            """, new { ids = lotIds.ToArray(), from, to }, cancellationToken: ct)))
            .Select(r => new OccupancySample(r.LotId, new DateTimeOffset(r.Hour, TimeSpan.Zero), Math.Round(r.Average, 4), Math.Round(r.Peak, 4), r.Samples)).ToList();
    }
}
