using SmartParking.Server.Modules.Chat.Nlu.Time;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>
/// Finds times and durations in English and Danish messages, as Rasa's Duckling extractor would: entity <c>time</c>
/// (an ISO 8601 local time with offset; extra <c>grain</c> = minute|hour|day|week and, for an interval, <c>to</c>) and
/// entity <c>duration</c> (ISO 8601 duration; extra <c>seconds</c>). Words are compared case- and accent-insensitively
/// ("paa fredag", "naeste mandag", "i aften" all count).
/// <para>Spans: a time includes its own preposition ("at 9", "on Friday", "kl. 9", "på fredag", "in 20 minutes",
/// "from 9 to 11"); a duration never includes "for"/"i" ("for [2 hours]", "i [2 timer]"). A bare number ("9",
/// "space 12", "20 kr") is neither.</para>
/// <para>Resolution, relative to now in the zone:</para>
/// <list type="bullet">
/// <item>A clock time without a date is today if more than a minute ahead, else tomorrow. An hour 1–12 said without
/// am/pm, minutes or a 24-hour form ("at 9", "kl 9", "half past 8", "halv ni") is the next of h and h+12, except that
/// 1–6 is the afternoon one unless a morning word or "am" says otherwise; "12" is noon or midnight. Digital forms with
/// minutes ("9:30", "09.30") are read as 24-hour times. With a date, the clock is the first of its readings on that day
/// still ahead (so "tomorrow at 9" is 09:00).</item>
/// <item>A weekday name is its next occurrence; today's weekday is today unless the time said has passed, then next
/// week. "next Friday"/"næste fredag" never means today. A date without a year is this year, or next once passed;
/// "the 24th"/"den 24." is this month, or the next that has that day.</item>
/// <item>Parts of the day are windows with grain hour and <c>to</c>: morning 08–12, afternoon 12–17, evening and
/// "tonight" 18–24, night 22–06. When today's window has begun, it starts now, rounded up to the quarter hour.</item>
/// <item>"now" and the start of "until 6pm" are now rounded up to the minute; "until 6pm" ends at the next 18:00.
/// "in 20 minutes" is now plus 20 minutes, to the minute (whole days give the day, grain day).</item>
/// <item>"all day"/"hele dagen" is the duration P1D (how long someone wants to park, like "2 days"); "overnight"/"natten
/// over" is a time from this evening (or now, once evening has begun) to 08:00 the next morning.</item>
/// <item>Wall-clock times the spring-forward gap skips move forward by the gap (02:30 becomes 03:30); times the
/// fall-back hour repeats take their first occurrence (the earlier offset, summer time).</item>
/// </list>
/// </summary>
public static class TimeExpressions
{
    public const string ExtractorName = "TimeExpressions";

    /// <summary>Every time and duration mention in the text, left to right, non-overlapping (longest match wins).</summary>
    /// <param name="onDay">
    /// The day a clock or part of the day said without a date is on ("at 9" answering "what time on Tuesday?"); a
    /// date said ("tomorrow at 9", "Friday morning") still counts from now. Null: the rules above.
    /// </param>
    public static IReadOnlyList<ExtractedEntity> Find(string text, DateTimeOffset now, TimeZoneInfo zone, DateOnly? onDay = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(zone);
        var tokens = TimeTokenizer.Tokenize(text);
        var grammar = new TimeGrammar(tokens, new TimeCalendar(now, zone, onDay));
        var candidates = new List<TimeMatch>();
        for (var i = 0; i < tokens.Length; i++)
            if (grammar.LongestAt(i) is { } match) candidates.Add(match);

        var chosen = new List<TimeMatch>();
        foreach (var match in candidates.OrderByDescending(m => tokens[m.Next - 1].End - tokens[m.First].Start).ThenBy(m => m.First))
            if (chosen.TrueForAll(c => match.Next <= c.First || c.Next <= match.First)) chosen.Add(match);

        return chosen
            .OrderBy(m => m.First)
            .Select(m => new ExtractedEntity(m.Entity, m.Value, tokens[m.First].Start, tokens[m.Next - 1].End, ExtractorName, Extra: m.Extra))
            .ToList();
    }
}
