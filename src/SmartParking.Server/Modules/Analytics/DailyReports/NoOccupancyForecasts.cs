namespace SmartParking.Server.Modules.Analytics.DailyReports;

/// <summary>Until a forecasting model is registered: no lot has a forecast, and reports say "No forecast yet".</summary>
public sealed class NoOccupancyForecasts : IOccupancyForecasts
{
    public Task<IReadOnlyList<ForecastPoint>?> ForecastAsync(Guid lotId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ForecastPoint>?>(null);
}
