namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>
/// One lot's hourly occupancy share (0–1) from <see cref="StartUtc"/> on, one value per UTC hour; NaN marks a gap
/// (no reading that hour), which is never read as an empty lot. The lot's time zone and holiday calendar give the
/// local hour, weekday and holidays the forecast learns from.
/// </summary>
public sealed record LotHistory(string Lot, DateTime StartUtc, double[] Share, TimeZoneInfo TimeZone, HolidayCalendar Holidays)
{
    public DateTime EndUtc => StartUtc.AddHours(Share.Length);

    /// <summary>The history strictly before <paramref name="cutUtc"/>: what a forecast made at that instant may know.</summary>
    public LotHistory Before(DateTime cutUtc)
    {
        var hours = Math.Clamp((int)Math.Floor((cutUtc - StartUtc).TotalHours), 0, Share.Length);
        return this with { Share = Share[..hours] };
    }

    /// <summary>
    /// What a forecast made at <paramref name="cutUtc"/> may know and trust: the history before it, with the hours of a
    /// stuck feed (<see cref="StuckFeed"/>, found from that history alone) turned into gaps.
    /// </summary>
    public LotHistory Known(DateTime cutUtc)
    {
        var before = Before(cutUtc);
        var stuck = StuckFeed.Hours(before);
        if (!stuck.Contains(true)) return before;
        var share = (double[])before.Share.Clone();
        for (var i = 0; i < share.Length; i++) if (stuck[i]) share[i] = double.NaN;
        return before with { Share = share };
    }

    /// <summary>The hours before <paramref name="cutUtc"/> that have a value a forecast can use (a stuck feed's do not count).</summary>
    public int HoursObservedBefore(DateTime cutUtc) => Known(cutUtc).Share.Count(v => !double.IsNaN(v));

    /// <summary>The first hour with a value and the hour after the last one, or null when the lot has none.</summary>
    public (DateTime FirstUtc, DateTime EndUtc)? ObservedSpan()
    {
        var first = Array.FindIndex(Share, v => !double.IsNaN(v));
        if (first < 0) return null;
        var last = Array.FindLastIndex(Share, v => !double.IsNaN(v));
        return (StartUtc.AddHours(first), StartUtc.AddHours(last + 1));
    }
}

/// <summary>
/// The lot's history on its local wall clock: index i is the local hour StartLocal + i hours, so "the same hour a week
/// earlier" is always i − 168, across daylight-saving changes. The repeated autumn hour holds the mean of both UTC
/// hours; the skipped spring hour is a gap.
/// </summary>
internal sealed class LocalHours
{
    public const int Week = 168;

    private readonly double[] values;

    public DateTime StartLocal { get; }
    public TimeZoneInfo Zone { get; }
    public HolidayCalendar Holidays { get; }

    public LocalHours(LotHistory lot)
    {
        Zone = lot.TimeZone;
        Holidays = lot.Holidays;
        StartLocal = FloorHour(TimeZoneInfo.ConvertTimeFromUtc(lot.StartUtc, Zone));
        var endLocal = FloorHour(TimeZoneInfo.ConvertTimeFromUtc(lot.EndUtc, Zone));
        var length = (int)(endLocal - StartLocal).TotalHours + 2;
        var sum = new double[length];
        var count = new int[length];
        for (var i = 0; i < lot.Share.Length; i++)
        {
            if (double.IsNaN(lot.Share[i])) continue;
            var index = IndexOf(lot.StartUtc.AddHours(i));
            sum[index] += lot.Share[i];
            count[index]++;
        }
        values = new double[length];
        for (var i = 0; i < length; i++) values[i] = count[i] == 0 ? double.NaN : sum[i] / count[i];
    }

    /// <summary>The local hour index of a UTC instant (negative or past the end for instants outside the history).</summary>
    public int IndexOf(DateTime utc) => (int)Math.Floor((TimeZoneInfo.ConvertTimeFromUtc(utc, Zone) - StartLocal).TotalHours);

    public double At(int index) => index >= 0 && index < values.Length ? values[index] : double.NaN;

    public DateTime LocalAt(int index) => StartLocal.AddHours(index);

    public bool IsHoliday(int index) => Holidays.IsHoliday(DateOnly.FromDateTime(LocalAt(index)));

    public bool IsSchoolHoliday(int index) => Holidays.IsSchoolHoliday(DateOnly.FromDateTime(LocalAt(index)));

    /// <summary>The mean of the values in [from, to), ignoring gaps; NaN when all are gaps.</summary>
    public double Mean(int from, int to)
    {
        double sum = 0;
        var n = 0;
        for (var i = Math.Max(from, 0); i < Math.Min(to, values.Length); i++)
        {
            if (double.IsNaN(values[i])) continue;
            sum += values[i];
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    private static DateTime FloorHour(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Unspecified);
}
