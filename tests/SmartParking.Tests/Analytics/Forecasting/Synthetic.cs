using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Tests.Analytics.Forecasting;

/// <summary>Deterministic hourly occupancy: a weekday/weekend daily shape, a level that trends over weeks, noise.</summary>
internal static class Synthetic
{
    public static readonly DateTime Start = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static LotHistory Lot(string name, int days, double level, double trendPerWeek, int seed, double noise = 0.03)
    {
        var random = new Random(seed);
        var share = new double[days * 24];
        for (var h = 0; h < share.Length; h++)
        {
            var at = Start.AddHours(h);
            var busy = at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.5 : 1.0;
            var daily = at.Hour is >= 8 and < 18 ? 0.35 * busy : 0.05;
            var trend = trendPerWeek * h / 168.0;
            share[h] = Math.Clamp(level + daily + trend + noise * (random.NextDouble() * 2 - 1), 0, 1);
        }
        return new LotHistory(name, Start, share, TimeZoneInfo.Utc, HolidayCalendar.None);
    }

    public static ForecastSettings FastSettings => new(Trees: 60, OriginStrideDays: 2);
}
