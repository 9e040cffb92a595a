using System.Globalization;

namespace SmartParking.Server.Platform.Time;

/// <summary>
/// Instants as people read them: the wall-clock time of a place followed by its IANA zone, so "10:00" is never taken for
/// UTC or the reader's own zone. Receipts, quotes, error messages and pages all write times through here.
/// </summary>
public static class LocalTimes
{
    private const string DayAndTime = "ddd d MMM yyyy HH:mm";

    /// <summary><c>Sat 5 Dec 2026 10:00 (Australia/Melbourne)</c>.</summary>
    public static string Format(DateTimeOffset at, string timeZone) =>
        $"{Convert(at, timeZone).ToString(DayAndTime, CultureInfo.InvariantCulture)} ({timeZone})";

    /// <summary>
    /// <c>Sat 5 Dec 2026 10:00–12:00 (Australia/Melbourne)</c>, or with both days when the range crosses midnight:
    /// <c>Sat 5 Dec 2026 22:00 – Sun 6 Dec 2026 01:00 (Australia/Melbourne)</c>.
    /// </summary>
    public static string Range(DateTimeOffset from, DateTimeOffset until, string timeZone)
    {
        var (start, end) = (Convert(from, timeZone), Convert(until, timeZone));
        var text = start.Date == end.Date
            ? $"{start.ToString(DayAndTime, CultureInfo.InvariantCulture)}–{end.ToString("HH:mm", CultureInfo.InvariantCulture)}"
            : $"{start.ToString(DayAndTime, CultureInfo.InvariantCulture)} – {end.ToString(DayAndTime, CultureInfo.InvariantCulture)}";
        return $"{text} ({timeZone})";
    }

    /// <summary>The wall-clock time in the zone; an unknown zone id reads as UTC rather than failing a receipt.</summary>
    public static DateTime Convert(DateTimeOffset at, string timeZone) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) ? TimeZoneInfo.ConvertTime(at, zone).DateTime : at.UtcDateTime;
}
