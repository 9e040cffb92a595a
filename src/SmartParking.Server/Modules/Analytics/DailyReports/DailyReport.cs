namespace SmartParking.Server.Modules.Analytics.DailyReports;

/// <summary>
/// One lot's day. Occupancy is the mean of the day's hourly occupied shares and the highest share seen; its source
/// is the hourly rollup (lot_occupancy_hourly), or pricing's samples (price_history) for a lot the rollup has no rows for.
/// Revenue is net of refunds, per currency. Forecast* describe today's forecast, null without one.
/// </summary>
public sealed record DailyLotLine(
    Guid LotId, string Name, int Spaces, double? MeanOccupancy, double? PeakOccupancy, string? OccupancySource, int Reservations, int Sessions,
    IReadOnlyDictionary<string, decimal> Revenue, IReadOnlyList<ForecastPoint>? Forecast);

/// <summary>A tenant's previous local day [From, To), everything the PDF and the workbook show.</summary>
public sealed record DailyReport(
    Guid TenantId, string TenantName, DateOnly Date, string TimeZone, DateTimeOffset From, DateTimeOffset To, DateTimeOffset GeneratedAt,
    IReadOnlyList<DailyLotLine> Lots, IReadOnlyList<CurrencyNet> Revenue, IReadOnlyList<Notifications.AlertActivity> Alerts)
{
    public int Reservations => Lots.Sum(l => l.Reservations);
    public int Sessions => Lots.Sum(l => l.Sessions);
    public int AlertsRaised => Alerts.Sum(a => a.Raised);
    public int AlertsResolved => Alerts.Sum(a => a.Resolved);
    public bool HasForecast => Lots.Any(l => l.Forecast is { Count: > 0 });
}

public sealed record CurrencyNet(string Currency, decimal Net);
