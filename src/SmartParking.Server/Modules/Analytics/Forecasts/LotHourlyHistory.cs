using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Analytics.Forecasts;

/// <summary>
/// Lots' hourly occupancy from lot_occupancy_hourly as the forecasting engine reads it: one share per UTC hour, NaN
/// where the hour has no row, with the lot's time zone and its country's holidays (from the Lots contract).
/// </summary>
public sealed class LotHourlyHistory(NpgsqlDataSource db, LotCatalog lots)
{
    /// <summary>Every lot of the tenant with rows in [fromUtc, toUtc) that still exists (a deleted lot's zone and country are gone).</summary>
    public async Task<IReadOnlyList<(Guid LotId, LotHistory History)>> TenantAsync(Guid tenantId, DateTime fromUtc, DateTime toUtc, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid LotId, DateTime Hour, double Occupancy)>(new CommandDefinition("""
            select lot_id, hour, occupancy from lot_occupancy_hourly
            where tenant_id = @tenantId and hour >= @fromUtc and hour < @toUtc
            """, new { tenantId, fromUtc, toUtc }, cancellationToken: ct));
        return await HistoriesAsync(rows, fromUtc, toUtc, ct);
    }

    /// <summary>The lot's history in [fromUtc, toUtc); null when the lot does not exist.</summary>
    public async Task<LotHistory?> LotAsync(Guid lotId, DateTime fromUtc, DateTime toUtc, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid LotId, DateTime Hour, double Occupancy)>(new CommandDefinition("""
            select lot_id, hour, occupancy from lot_occupancy_hourly
            where lot_id = @lotId and hour >= @fromUtc and hour < @toUtc
            """, new { lotId, fromUtc, toUtc }, cancellationToken: ct));
        var found = await HistoriesAsync(rows, fromUtc, toUtc, ct, alwaysInclude: lotId);
        return found.Count == 0 ? null : found[0].History;
    }

    private async Task<IReadOnlyList<(Guid LotId, LotHistory History)>> HistoriesAsync(IEnumerable<(Guid LotId, DateTime Hour, double Occupancy)> rows,
        DateTime fromUtc, DateTime toUtc, CancellationToken ct, Guid? alwaysInclude = null)
    {
        var hours = (int)(toUtc - fromUtc).TotalHours;
        var shares = new Dictionary<Guid, double[]>();
        if (alwaysInclude is { } included) shares[included] = NewSeries(hours);
        foreach (var (lotId, hour, occupancy) in rows)
        {
            if (!shares.TryGetValue(lotId, out var share)) shares[lotId] = share = NewSeries(hours);
            share[(int)(DateTime.SpecifyKind(hour, DateTimeKind.Utc) - fromUtc).TotalHours] = occupancy;
        }
        var places = await lots.PublicLotsAsync(shares.Keys, ct);
        return places.Select(lot => (lot.Id, new LotHistory(lot.Id.ToString(), fromUtc, shares[lot.Id],
                TimeZoneInfo.FindSystemTimeZoneById(lot.TimeZone), Holidays(lot.Address.Country))))
            .ToList();
    }

    private static double[] NewSeries(int hours)
    {
        var share = new double[hours];
        Array.Fill(share, double.NaN);
        return share;
    }

    private static HolidayCalendar Holidays(string? country) =>
        country is { Length: > 0 } c ? HolidayCalendar.ForCountry(c.Trim()) ?? HolidayCalendar.None : HolidayCalendar.None;
}
