using System.Security.Claims;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Server.Modules.Analytics.Forecasts;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>
/// A lot's hourly forecast as the API answers it. Method says where the numbers come from: "model" (the tenant's
/// trained model, with its version, training time and backtest error), "median-profile" (the lot's own 4-week median
/// profile: the lot has too little history for the model, or the tenant has no model yet; Note says which) or "none"
/// (no history at all, no points). Only hours from the current one on: past hours are not forecast.
/// </summary>
public sealed record LotOccupancyForecast(Guid LotId, DateTimeOffset From, DateTimeOffset To, string Method, string? Note, int? ModelVersion,
    DateTimeOffset? TrainedAt, double? BacktestMae, IReadOnlyList<ForecastPoint> Points);

/// <summary>An hour of measured occupancy; null where the hour has none.</summary>
public sealed record HourlyOccupancy(DateTimeOffset Hour, double? Occupancy);

/// <summary>A lot's measured occupancy over the last days and its forecast for the next ones, for the dashboard.</summary>
public sealed record LotForecastChart(IReadOnlyList<HourlyOccupancy> Actual, LotOccupancyForecast Forecast);

public static class ForecastMethods
{
    public const string Model = "model", MedianProfile = "median-profile", None = "none";
}

/// <summary>Forecasts for one lot from the tenant's active model, or the lot's own profile where the model cannot serve it.</summary>
public sealed class OccupancyForecasts(LotCatalog lots, LotHourlyHistory history, ForecastModelCache models, IOptions<ForecastOptions> options, TimeProvider time)
    : IOccupancyForecasts
{
    /// <summary>The model's features look back at most 8 weeks; a day more covers a daylight-saving shift.</summary>
    private const int HistoryDays = 57;

    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(31);

    /// <summary>The API's window: from the next hour for 24 hours unless given; at most 31 days and within the model's 30-day reach.</summary>
    public async Task<LotOccupancyForecast> ForLotAsync(Guid lotId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        new Validation().Instant(from, "from").Instant(to, "to").ThrowIfInvalid();
        var origin = time.GetUtcNow().ToWholeHour();
        var start = from ?? origin.AddHours(1);
        var end = to ?? start.AddDays(1);
        var reach = origin.AddDays(options.Value.Settings.MaxHorizonDays);
        new Validation()
            .Check(start < end, "from", "must be before to.")
            .Check(end - start <= MaxWindow, "to", "the window is at most 31 days.")
            .Check(start < reach, "from", $"forecasts reach {options.Value.Settings.MaxHorizonDays} days ahead, to {reach:O}.")
            .Check(end <= reach, "to", $"forecasts reach {options.Value.Settings.MaxHorizonDays} days ahead, to {reach:O}.")
            .ThrowIfInvalid();
        var lot = await lots.FindAsync(lotId, ct) ?? throw new NotFoundException("Lot");
        return await ForecastAsync(lot, await models.ActiveAsync(lot.TenantId, ct), origin, start, end, ct);
    }

    /// <summary>The operator's lot (404 for another tenant's): the last <paramref name="days"/> days measured, the next ones forecast.</summary>
    public async Task<LotForecastChart> ChartAsync(ClaimsPrincipal user, Guid lotId, int days, CancellationToken ct)
    {
        var lot = await lots.FindForOperatorAsync(lotId, user, ct);
        var origin = time.GetUtcNow().ToWholeHour();
        var past = await history.LotAsync(lot.Id, origin.UtcDateTime.AddDays(-days), origin.UtcDateTime, ct) ?? throw new NotFoundException("Lot");
        var actual = past.Share.Select((share, i) => new HourlyOccupancy(origin.AddDays(-days).AddHours(i), double.IsNaN(share) ? null : share)).ToList();
        return new LotForecastChart(actual, await ForecastAsync(lot, await models.ActiveAsync(lot.TenantId, ct), origin, origin, origin.AddDays(days), ct));
    }

    /// <summary>
    /// Each lot's forecast hours in [from, to), by the model or the lot's own profile, for drivers asking about later
    /// (the chat): a lot with no history, hours beyond the forecasts' reach and lots that no longer exist get none.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, IReadOnlyList<ForecastPoint>>> OutlookAsync(IReadOnlyList<Guid> lotIds, DateTimeOffset from, DateTimeOffset to,
        CancellationToken ct)
    {
        var origin = time.GetUtcNow().ToWholeHour();
        var reach = origin.AddDays(options.Value.Settings.MaxHorizonDays);
        if (to > reach) to = reach;
        var outlook = new Dictionary<Guid, IReadOnlyList<ForecastPoint>>();
        foreach (var lotId in lotIds.Distinct())
            outlook[lotId] = from < to && await lots.FindAsync(lotId, ct) is { } lot
                ? (await ForecastAsync(lot, await models.ActiveAsync(lot.TenantId, ct), origin, from, to, ct)).Points
                : [];
        return outlook;
    }

    public async Task<IReadOnlyList<ForecastPoint>?> ForecastAsync(Guid lotId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (await lots.FindAsync(lotId, ct) is not { } lot) return null;
        // Pricing asks for every lot each run: a tenant without a model costs one indexed lookup, no history read.
        if (await models.ActiveAsync(lot.TenantId, ct) is not { Model: not null } active) return null;
        var origin = time.GetUtcNow().ToWholeHour();
        var reach = origin.AddDays(options.Value.Settings.MaxHorizonDays);
        var forecast = await ForecastAsync(lot, active, origin, from, to < reach ? to : reach, ct);
        return forecast.Method == ForecastMethods.Model ? forecast.Points : null;
    }

    private async Task<LotOccupancyForecast> ForecastAsync(LotFacts lot, ActiveForecastModel? active, DateTimeOffset origin, DateTimeOffset from, DateTimeOffset to,
        CancellationToken ct)
    {
        var first = from.ToWholeHour();
        if (first < origin) first = origin;
        var hours = Math.Max(0, (int)Math.Ceiling((to - first).TotalHours));
        var originUtc = origin.UtcDateTime;
        var past = await history.LotAsync(lot.Id, originUtc.AddDays(-HistoryDays), originUtc, ct)
            ?? throw new NotFoundException("Lot");
        var minimumHours = options.Value.Settings.MinimumHistoryDays * 24;
        // Forecasts are made from the origin (what is known now) and cut to the hours asked for.
        var skip = (int)(first - origin).TotalHours;
        IEnumerable<HourlyForecast> forecast;
        string method;
        string? note = null;
        if (active?.Model is { } model && past.HoursObservedBefore(originUtc) >= minimumHours && hours > 0)
        {
            forecast = model.Forecast(past, originUtc, (skip + hours + 23) / 24).Hours;
            method = ForecastMethods.Model;
        }
        else
        {
            forecast = hours > 0 ? ProfileBaseline.Forecast(past, originUtc, skip + hours) : [];
            method = past.HoursObservedBefore(originUtc) == 0 ? ForecastMethods.None : ForecastMethods.MedianProfile;
            note = method == ForecastMethods.None ? "the lot has no hourly occupancy yet"
                : active?.Model is null ? "the tenant has no trained forecast model yet"
                : $"the lot has {past.HoursObservedBefore(originUtc) / 24.0:0.#} days of history, the model needs {options.Value.Settings.MinimumHistoryDays}";
        }
        var points = forecast
            .Where(h => h.HourUtc >= first.UtcDateTime && h.HourUtc < to.UtcDateTime)
            .Select(h => new ForecastPoint(new DateTimeOffset(h.HourUtc, TimeSpan.Zero), h.Share, h.Low, h.High))
            .ToList();
        var fromModel = method == ForecastMethods.Model;
        return new LotOccupancyForecast(lot.Id, first, first.AddHours(hours), method, note,
            fromModel ? active!.Version.Version : null, fromModel ? active!.Version.TrainedAt : null, fromModel ? active!.Version.BacktestMae : null, points);
    }
}
