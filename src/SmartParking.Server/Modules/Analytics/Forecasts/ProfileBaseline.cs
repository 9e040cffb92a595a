using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Server.Modules.Analytics.Forecasts;

/// <summary>
/// The forecast for a lot the model cannot serve (too little history, or no model yet): per target hour, the median
/// of the same local hour in the last four weeks before the origin (the 4-week median profile) or, with less than a
/// week of history, of the same local hour on the last 14 days. The band is the lowest and highest of those values.
/// </summary>
internal static class ProfileBaseline
{
    private const int Weeks = 4, Days = 14;

    /// <summary>The forecast hours that have any earlier value to go by (none for a lot without history).</summary>
    public static IReadOnlyList<HourlyForecast> Forecast(LotHistory lot, DateTime originUtc, int hours)
    {
        var local = new LocalHours(lot.Known(originUtc));
        var origin = local.IndexOf(originUtc);
        var forecast = new List<HourlyForecast>(hours);
        for (var i = 0; i < hours; i++)
        {
            var hour = originUtc.AddHours(i);
            var target = local.IndexOf(hour);
            var values = Earlier(local, origin, target, LocalHours.Week, Weeks);
            if (values.Count == 0) values = Earlier(local, origin, target, 24, Days);
            if (values.Count == 0) continue;
            values.Sort();
            var n = values.Count;
            var median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
            forecast.Add(new HourlyForecast(hour, median, values[0], values[^1]));
        }
        return forecast;
    }

    /// <summary>The values at the target minus whole periods, from the last one before the origin back <paramref name="count"/> periods.</summary>
    private static List<double> Earlier(LocalHours local, int origin, int target, int period, int count)
    {
        var first = (target - origin) / period + 1;
        var values = new List<double>(count);
        for (var k = first; k < first + count; k++)
            if (local.At(target - k * period) is var value && !double.IsNaN(value)) values.Add(value);
        return values;
    }
}
