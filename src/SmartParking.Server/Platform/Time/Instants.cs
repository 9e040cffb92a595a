namespace SmartParking.Server.Platform.Time;

public static class Instants
{
    /// <summary>
    /// The span of time the platform deals in. Instants far outside it (year 1 or 9999) overflow the date arithmetic of
    /// time zones and whole days, so requests naming one are refused before any of it runs.
    /// </summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static bool InReach(this DateTimeOffset t) => t >= Earliest && t < Latest;

    /// <summary>UTC, cut to the whole second: windows and sessions are kept to the second, so equality checks hold.</summary>
    public static DateTimeOffset ToWholeSecond(this DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    /// <summary>UTC, cut to the start of its hour: the bucket of hourly rollups, imports and forecasts.</summary>
    public static DateTimeOffset ToWholeHour(this DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);

    /// <summary>
    /// The instant a wall-clock time of a local day happens in a time zone. A time skipped by a clock change (spring
    /// forward) does not exist, so the hour after it is taken; a repeated one (fall back) is taken at its first offset's
    /// standard reading.
    /// </summary>
    public static DateTimeOffset AtLocal(DateOnly day, TimeSpan timeOfDay, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue) + timeOfDay;
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The local calendar day an instant falls on in a time zone.</summary>
    public static DateOnly LocalDay(this DateTimeOffset t, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, zone).DateTime);
}
