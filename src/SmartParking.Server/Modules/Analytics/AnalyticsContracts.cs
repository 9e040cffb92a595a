using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Sensors;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>One hour of occupancy (0–1); null where no recompute sampled that hour.</summary>
public sealed record OccupancyPoint(DateTimeOffset Hour, double? Occupancy, double? Peak, int Samples);

/// <summary>
/// Occupancy per hour over a window, for one lot (LotId set) or the tenant (each hour the capacity-weighted mean of
/// its lots' samples). Source names where the numbers come from.
/// </summary>
public sealed record OccupancySeries(Guid? LotId, DateTimeOffset From, DateTimeOffset To, string Source, IReadOnlyList<OccupancyPoint> Points);

public sealed record CurrencyTotal(string Currency, decimal Charged, decimal Refunded, decimal Net);

/// <summary>Revenue per UTC day and currency from the payments ledger (succeeded charges minus succeeded refunds).</summary>
public sealed record RevenueSeries(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<RevenueDay> Days, IReadOnlyList<CurrencyTotal> Totals);

/// <summary>A lot now: its counts from the live availability model and the occupied share of the spaces in service.</summary>
public sealed record LotNow(Guid LotId, string Name, Counts Counts, double? Occupancy, decimal PricePerHour, string Currency, DateTimeOffset? UpdatedAt);

/// <summary>The tenant now; Alerts are the newest unresolved alerts (at most 30), OpenAlerts counts them all.</summary>
public sealed record Overview(DateTimeOffset At, IReadOnlyList<LotNow> Lots, int SensorsOffline, int SensorsLowBattery, IReadOnlyList<AlertView> Alerts, int OpenAlerts);

/// <summary>One lot's line in the summary report.</summary>
public sealed record LotSummary(Guid LotId, string Name, int Capacity, double? AverageOccupancy, int Reservations, int Sessions, IReadOnlyDictionary<string, decimal> Revenue);

public sealed record Summary(string TenantName, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<LotSummary> Lots, IReadOnlyList<CurrencyTotal> Revenue,
    int Reservations, int Sessions, int SensorsOffline, IReadOnlyList<Sensor> OfflineSensors);

/// <summary>One forecast hour (UTC hour start): expected occupancy share and its 10th–90th percentile band, all 0–1.</summary>
public sealed record ForecastPoint(DateTimeOffset Hour, double Occupancy, double Low, double High);

/// <summary>Hourly occupancy forecasts for other modules (pricing, reports).</summary>
public interface IOccupancyForecasts
{
    /// <summary>
    /// The hours from the one holding <paramref name="from"/> (or the current hour, if later) to <paramref name="to"/>;
    /// null when the trained model cannot forecast the lot (an unknown lot, a tenant without a model yet, a lot with too
    /// little history), so the caller keeps its own baseline.
    /// </summary>
    Task<IReadOnlyList<ForecastPoint>?> ForecastAsync(Guid lotId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
}

/// <summary>A stored daily report as the list shows it: the tenant's local day it covers and when it was made.</summary>
public sealed record DailyReportInfo(Guid TenantId, DateOnly Date, string TimeZone, DateTimeOffset GeneratedAt, DateTimeOffset? EmailedAt, int PdfBytes, int XlsxBytes);

/// <summary>Dwell times of the stays that began in a bucket (closed stays only).</summary>
public sealed record DwellBuckets(int Under15Minutes, int From15To30Minutes, int From30To60Minutes, int From1To2Hours, int From2To4Hours, int From4To8Hours, int Over8Hours);

/// <summary>
/// One bucket of a lot's rollups for the lot, one zone (ScopeKey = zone id) or one space type (ScopeKey = type).
/// Occupancy is the mean of the minute samples and Peak the highest; SensorUptime the mean share of the lot's sensors
/// online (lot scope only). Reservations count those confirmed that start in the bucket; revenue is money moved in it.
/// </summary>
public sealed record RollupBucket(Guid LotId, DateTimeOffset Bucket, string Scope, string ScopeKey, double? Occupancy, double? Peak, int Samples,
    double? SensorUptime, int Arrivals, DwellBuckets Dwell, int Reservations, int Cancellations, int NoShows, int Sessions, IReadOnlyList<CurrencyTotal> Revenue);

/// <summary>Rollups over [From, To): hourly buckets start at UTC hours, daily ones at the lot's local midnight.</summary>
public sealed record RollupSeries(Guid? LotId, string Granularity, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<RollupBucket> Buckets);
