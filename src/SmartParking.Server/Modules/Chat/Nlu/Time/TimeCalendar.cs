namespace SmartParking.Server.Modules.Chat.Nlu.Time;

internal enum Meridiem { None, Am, Pm }

/// <summary>
/// A clock time as said. <see cref="Ambiguous"/>: an hour 1–12 said without am/pm or a 24-hour form ("at 9",
/// "kl 9", "half past 8", "halv ni"), which may mean the morning or the evening one.
/// </summary>
internal sealed record Clock(int Hour, int Minute, bool HasMinutes, Meridiem Meridiem, bool Ambiguous);

/// <summary>A calendar day; <see cref="IsWeekdayName"/> marks a plain weekday name that means next week once today's time has passed.</summary>
internal sealed record DateRef(DateOnly Day, bool IsWeekdayName = false);

/// <summary>A resolved time: its start, grain and, for an interval or part of day, its end.</summary>
internal sealed record TimePoint(DateTimeOffset Value, string Grain, DateTimeOffset? To = null);

/// <summary>Turns what was said into instants, relative to now in the user's time zone (rules: <see cref="TimeExpressions"/>).</summary>
internal sealed class TimeCalendar
{
    private readonly TimeZoneInfo zone;

    /// <summary>The day a clock or part of the day said without a date is on; null for the next one ahead.</summary>
    private readonly DateOnly? answersDay;

    public TimeCalendar(DateTimeOffset now, TimeZoneInfo zone, DateOnly? onDay = null)
    {
        this.zone = zone;
        answersDay = onDay;
        Now = now;
        LocalNow = TimeZoneInfo.ConvertTime(now, zone).DateTime;
        Today = DateOnly.FromDateTime(LocalNow);
    }

    public DateTimeOffset Now { get; }
    public DateTime LocalNow { get; }
    public DateOnly Today { get; }

    /// <summary>
    /// A wall-clock time in the zone. One that the spring-forward gap skips is read with the offset before the gap
    /// (02:30 becomes 03:30 summer time); one the fall-back hour repeats is its first occurrence (the earlier instant).
    /// </summary>
    public DateTimeOffset At(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
            return TimeZoneInfo.ConvertTime(new DateTimeOffset(local, zone.GetUtcOffset(local.AddDays(-1))), zone);
        if (zone.IsAmbiguousTime(local))
            return new DateTimeOffset(local, zone.GetAmbiguousTimeOffsets(local).Max());
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    public DateTimeOffset At(DateOnly day, int hour, int minute = 0) => At(day.ToDateTime(new TimeOnly(hour, minute)));

    /// <summary>Now, rounded up to a whole number of minutes (unchanged when already on one).</summary>
    public DateTimeOffset NowRoundedUp(int minutes)
    {
        var step = TimeSpan.TicksPerMinute * minutes;
        var local = TimeZoneInfo.ConvertTime(Now, zone);
        var remainder = local.DateTime.Ticks % step;
        return remainder == 0 ? local : TimeZoneInfo.ConvertTime(local.AddTicks(step - remainder), zone);
    }

    private DateTimeOffset NowTruncatedToMinute()
    {
        var local = TimeZoneInfo.ConvertTime(Now, zone);
        return local.AddTicks(-(local.DateTime.Ticks % TimeSpan.TicksPerMinute));
    }

    /// <summary>"in 20 minutes": now plus the duration as elapsed time (so across a DST change too); whole days give the day.</summary>
    public TimePoint After(long seconds)
    {
        var then = TimeZoneInfo.ConvertTime(Now.AddSeconds(seconds), zone);
        if (seconds % 86400 == 0) return new TimePoint(At(DateOnly.FromDateTime(then.DateTime), 0), "day");
        return new TimePoint(then.AddTicks(-(then.DateTime.Ticks % TimeSpan.TicksPerMinute)), "minute");
    }

    public TimePoint Week(int weeksAhead)
    {
        var monday = Today.AddDays(-(((int)Today.DayOfWeek + 6) % 7) + 7 * weeksAhead);
        return new TimePoint(At(monday, 0), "week");
    }

    public TimePoint Resolve(DateRef? date, DayPart? part, Clock? clock)
    {
        if (date is null && answersDay is { } day && (clock is not null || part is not null)) date = new DateRef(day);
        if (clock is null && part is null) return new TimePoint(At((date ?? new DateRef(Today)).Day, 0), "day");
        if (clock is null) return PartOfDay(date, part!.Value);

        var grain = clock.HasMinutes ? "minute" : "hour";
        var candidates = Hours(clock, part);
        if (date is null)
        {
            var ahead = Occurrences(Today, candidates, clock.Minute).Concat(Occurrences(Today.AddDays(1), candidates, clock.Minute)).FirstOrDefault(IsAhead);
            return new TimePoint(ahead == default ? Occurrences(Today.AddDays(1), candidates, clock.Minute).Last() : ahead, grain);
        }
        var onDay = Occurrences(date.Day, candidates, clock.Minute).ToList();
        var first = onDay.FirstOrDefault(IsAhead);
        if (first != default) return new TimePoint(first, grain);
        if (date.IsWeekdayName && date.Day == Today) return new TimePoint(Occurrences(Today.AddDays(7), candidates, clock.Minute).First(), grain);
        // A day gone ("yesterday at 9") reads a clock as its first hour, the usual meaning; none of them is ahead anyway.
        return new TimePoint(date.Day < Today ? onDay.First() : onDay.Last(), grain);
    }

    /// <summary>
    /// "from 9 to 11", "between 2 and 4pm": the start as a point (taking the end's am/pm when it has none of its own),
    /// the end as the first time of that clock after the start.
    /// </summary>
    public TimePoint Interval(DateRef? date, DayPart? part, Clock startClock, Clock endClock)
    {
        if (startClock.Meridiem == Meridiem.None && startClock.Ambiguous && endClock.Meridiem != Meridiem.None && startClock.Hour % 12 <= endClock.Hour % 12)
            startClock = startClock with { Meridiem = endClock.Meridiem, Ambiguous = false };
        var start = Resolve(date, part, startClock);
        var startDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start.Value, zone).DateTime);
        var ends = endClock.Ambiguous && endClock.Meridiem == Meridiem.None
            ? new[] { (0, endClock.Hour % 12), (0, endClock.Hour % 12 + 12) }
            : Hours(endClock, null);
        var end = Occurrences(startDay, ends, endClock.Minute).Concat(Occurrences(startDay.AddDays(1), ends, endClock.Minute)).First(t => t > start.Value);
        return start with { To = end };
    }

    /// <summary>"until 6pm": from now (rounded up to the minute) to that time; null when that time has passed.</summary>
    public TimePoint? Until(DateRef? date, DayPart? part, Clock clock)
    {
        var start = NowRoundedUp(1);
        var end = Resolve(date, part, clock).Value;
        return end > start ? new TimePoint(start, "minute", end) : null;
    }

    /// <summary>"overnight": from this evening (or now, if the evening has begun) to 08:00 the next morning.</summary>
    public TimePoint Overnight()
    {
        var evening = PartOfDay(null, DayPart.Evening).Value;
        var morning = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(evening, zone).DateTime).AddDays(1);
        return new TimePoint(evening, "hour", At(morning, 8));
    }

    private TimePoint PartOfDay(DateRef? date, DayPart part)
    {
        var day = date?.Day ?? (part == DayPart.Night && LocalNow.Hour < 6 ? Today.AddDays(-1) : Today);
        var (start, end) = Window(day, part);
        if (date is { IsWeekdayName: true } && end <= Now) (start, end) = Window(day.AddDays(7), part);
        // In the window's last minutes the next quarter hour is its end; then it starts at this minute.
        if (start < Now && Now < end) start = NowRoundedUp(15) is var quarter && quarter < end ? quarter : NowTruncatedToMinute();
        return new TimePoint(start, "hour", end);
    }

    private (DateTimeOffset Start, DateTimeOffset End) Window(DateOnly day, DayPart part) => part switch
    {
        DayPart.Morning => (At(day, 8), At(day, 12)),
        DayPart.Afternoon => (At(day, 12), At(day, 17)),
        DayPart.Evening => (At(day, 18), At(day.AddDays(1), 0)),
        _ => (At(day, 22), At(day.AddDays(1), 6)),
    };

    /// <summary>
    /// The (day offset, hour) a clock may mean, earliest first: am/pm and 24-hour forms are exact; an ambiguous hour
    /// follows the part of day, else 1–6 is the afternoon one, 7–11 either, 12 noon or midnight.
    /// </summary>
    private static (int DayOffset, int Hour)[] Hours(Clock clock, DayPart? part)
    {
        var h = clock.Hour % 24;
        if (clock.Meridiem == Meridiem.Am) return [(0, h % 12)];
        if (clock.Meridiem == Meridiem.Pm) return [(0, h % 12 + 12)];
        if (!clock.Ambiguous) return [(0, h)];
        return part switch
        {
            DayPart.Morning => [(0, h)],
            DayPart.Afternoon or DayPart.Evening => [(0, h == 12 ? 12 : h + 12)],
            DayPart.Night => h == 12 ? [(1, 0)] : h <= 6 ? [(1, h)] : [(0, h + 12)],
            _ => h == 12 ? [(0, 12), (1, 0)] : h <= 6 ? [(0, h + 12)] : [(0, h), (0, h + 12)],
        };
    }

    private IEnumerable<DateTimeOffset> Occurrences(DateOnly day, (int DayOffset, int Hour)[] hours, int minute) =>
        hours.Select(h => At(day.AddDays(h.DayOffset), h.Hour, minute));

    private bool IsAhead(DateTimeOffset time) => time > Now.AddMinutes(1);
}
