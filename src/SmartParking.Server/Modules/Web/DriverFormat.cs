using System.Globalization;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Web;

/// <summary>How the driver pages write distances, prices and opening hours (English, invariant digits).</summary>
public static class DriverFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly string[] DayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    /// <summary>Under a kilometre in metres (to 10 m: GPS is not finer), above in kilometres with one decimal.</summary>
    public static string Distance(double meters) =>
        meters < 995
            ? string.Create(Invariant, $"{Math.Round(meters / 10) * 10:0} m")
            : string.Create(Invariant, $"{meters / 1000:0.0} km");

    public static string Money(decimal amount, string currency) => string.Create(Invariant, $"{amount:0.00} {currency}");

    public static string PerHour(decimal amount, string currency) => Money(amount, currency) + "/h";

    public static string Duration(TimeSpan span) =>
        span.TotalMinutes < 60 ? string.Create(Invariant, $"{span.TotalMinutes:0} min")
        : span.Minutes == 0 ? string.Create(Invariant, $"{span.TotalHours:0} h")
        : string.Create(Invariant, $"{(int)span.TotalHours} h {span.Minutes} min");

    /// <summary>
    /// Opening hours as a driver reads them, in the lot's local time: consecutive days with the same hours together
    /// ("Mon–Sat 06:00–24:00; Sun 06:00–20:00"), days without hours as closed; none at all is around the clock.
    /// </summary>
    public static string OpeningHours(IReadOnlyList<OpeningHours> hours)
    {
        if (hours.Count == 0) return "Open 24 hours";
        var byDay = LotsVocabulary.Days.Select(d => string.Join(", ", hours.Where(h => h.Day == d).OrderBy(h => h.Opens, StringComparer.Ordinal)
            .Select(h => $"{h.Opens}–{h.Closes}"))).Select(t => t.Length == 0 ? "closed" : t).ToArray();
        if (byDay.All(t => t == "00:00–24:00")) return "Open 24 hours";
        var parts = new List<string>();
        for (var start = 0; start < 7;)
        {
            var end = start;
            while (end + 1 < 7 && byDay[end + 1] == byDay[start]) end++;
            var days = start == end ? DayNames[start] : $"{DayNames[start]}–{DayNames[end]}";
            parts.Add(start == 0 && end == 6 ? $"Daily {byDay[start]}" : $"{days} {byDay[start]}");
            start = end + 1;
        }
        return string.Join("; ", parts);
    }

    /// <summary>Free against what is in service: a share for the marker's colour and the list's text.</summary>
    public static string Occupancy(int free, int inService) =>
        inService == 0 ? "no data" : free == 0 ? "full" : (double)free / inService < 0.15 ? "almost full" : "spaces free";
}
