using System.Globalization;
using SmartParking.Server.Modules.Analytics;

namespace SmartParking.Server.Modules.Web;

/// <summary>
/// The one-line forecast hint a driver sees on a lot: when the lot usually fills (the first forecast hour, today or
/// tomorrow in the lot's time, at or above <see cref="Full"/>), or that it usually has space. In the driver's language
/// (en or da, as their notifications).
/// </summary>
public static class ForecastHints
{
    public const double Full = 0.95;

    /// <summary>The hours the hint looks at: from the next hour to the end of tomorrow in the lot's time.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var dayAfterTomorrow = local.Date.AddDays(2);
        var to = new DateTimeOffset(dayAfterTomorrow, zone.GetUtcOffset(dayAfterTomorrow));
        var hourStart = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour), TimeSpan.Zero);
        return (hourStart.AddHours(1), to);
    }

    /// <summary>The hint, or null when there is no forecast to go by.</summary>
    public static string? Text(IReadOnlyList<ForecastPoint> points, DateTimeOffset now, TimeZoneInfo zone, string language)
    {
        if (points.Count == 0) return null;
        var danish = language == "da";
        if (points.FirstOrDefault(p => p.Occupancy >= Full) is not { } full)
            return danish ? "Plejer at have ledige pladser" : "Usually has space";
        var at = TimeZoneInfo.ConvertTime(full.Hour, zone);
        var time = at.ToString("HH:mm", CultureInfo.InvariantCulture);
        var tomorrow = at.Date > TimeZoneInfo.ConvertTime(now, zone).Date;
        return (danish, tomorrow) switch
        {
            (false, false) => $"Usually full by {time}",
            (false, true) => $"Usually full by {time} tomorrow",
            (true, false) => $"Plejer at være fuld kl. {time}",
            (true, true) => $"Plejer at være fuld i morgen kl. {time}",
        };
    }
}
