using System.Globalization;
using static SmartParking.Server.Modules.Chat.Nlu.Time.TimeLexicon;

namespace SmartParking.Server.Modules.Chat.Nlu.Time;

/// <summary>A match: tokens [<see cref="First"/>, <see cref="Next"/>) and what they mean.</summary>
internal sealed record TimeMatch(int First, int Next, string Entity, string Value, IReadOnlyDictionary<string, string> Extra);

/// <summary>
/// The rules, tried at one token: each reads forward greedily and the longest reading wins. A time phrase is up to
/// one date, one part of day and one clock time or interval, in any order ("tomorrow at 9", "kl 9 i morgen",
/// "next Monday morning"); durations, "in 20 minutes", "until 6pm", "now", weeks and "overnight" stand alone.
/// </summary>
internal sealed partial class TimeGrammar(TimeToken[] tokens, TimeCalendar calendar)
{
    private enum ClockForm { Bare, Digital, Spoken }

    private sealed record ClockRead(Clock Clock, int Next, bool Strong);

    public TimeMatch? LongestAt(int i)
    {
        TimeMatch? best = null;
        void Offer(int next, TimePoint? time = null, long? durationSeconds = null)
        {
            if (next <= i || (best is not null && Span(i, next) <= Span(best.First, best.Next)) || !StandsAlone(i, next)) return;
            best = time is not null ? TimeEntity(i, next, time) : DurationEntity(i, next, durationSeconds!.Value);
        }

        if (Phrase(i, bareClockFirst: false) is { } phrase) Offer(phrase.Next, phrase.Resolve(calendar));
        if (Duration(i) is { } duration) Offer(duration.Next, durationSeconds: duration.Seconds);
        if ((W(i, "in") || W(i, "om")) && Duration(i + 1) is { } ahead) Offer(ahead.Next, calendar.After(ahead.Seconds));
        if (W(i, "now") || W(i, "nu")) Offer(i + 1, new TimePoint(calendar.NowRoundedUp(1), "minute"));
        if ((W(i, "right") || W(i, "lige")) && (W(i + 1, "now") || W(i + 1, "nu"))) Offer(i + 2, new TimePoint(calendar.NowRoundedUp(1), "minute"));
        if (W(i, "overnight") || (W(i, "natten") && W(i + 1, "over"))) Offer(W(i, "overnight") ? i + 1 : i + 2, calendar.Overnight());
        if (Week(i) is { } week) Offer(week.Next, calendar.Week(week.WeeksAhead));
        if (Until(i) is { } until) Offer(until.Next, until.Time);
        return best;
    }

    // ---- phrases: date, part of day, clock or interval ----

    private sealed record PhraseRead(DateRef? Date, DayPart? Part, Clock? Clock, Clock? End, int Next)
    {
        public TimePoint Resolve(TimeCalendar calendar) =>
            End is not null ? calendar.Interval(Date, Part, Clock!, End) : calendar.Resolve(Date, Part, Clock);
    }

    private PhraseRead? Phrase(int i, bool bareClockFirst)
    {
        DateRef? date = null;
        DayPart? part = null;
        Clock? clock = null, end = null;
        var next = i;
        var afterDate = false;
        while (true)
        {
            var at = next > i && Sym(next, ",") ? next + 1 : next;
            var bestNext = at;
            Action? take = null;
            if (date is null && DateAt(at) is { } d && d.Next > bestNext)
            {
                bestNext = d.Next;
                take = () => { date = d.Date; afterDate = true; };
            }
            if (part is null && PartAt(at, bare: afterDate && at == next) is { } p && p.Next > bestNext)
            {
                bestNext = p.Next;
                take = () => { part = p.Part; afterDate = false; };
            }
            if (clock is null && Interval(at) is { } r && r.Next > bestNext)
            {
                bestNext = r.Next;
                take = () => { clock = r.From; end = r.To; afterDate = false; };
            }
            var bareAllowed = bareClockFirst && at == i;
            if (clock is null && ClockAt(at, bareAllowed) is { } c && (c.Strong || bareAllowed) && c.Next > bestNext)
            {
                bestNext = c.Next;
                take = () => { clock = c.Clock; afterDate = false; };
            }
            if (take is null) break;
            take();
            next = bestNext;
        }
        return next == i ? null : new PhraseRead(date, part, clock, end, next);
    }

    private (TimePoint Time, int Next)? Until(int i)
    {
        var j = i;
        if (Sym(j, "'") && W(j + 1, "til")) j++;
        var plainTil = W(j, "til");
        if (!plainTil && !WordIn(j, TimeLexicon.Until)) return null;
        // Danish "til" is everywhere ("plads til 2 biler"), so it needs a clear clock: "til kl 18", "til 18:00".
        if (Phrase(j + 1, bareClockFirst: !plainTil) is not { Clock: { } clock, End: null } phrase) return null;
        return calendar.Until(phrase.Date, phrase.Part, clock) is { } time ? (time, phrase.Next) : null;
    }

    private (int WeeksAhead, int Next)? Week(int i)
    {
        var j = W(i, "i") ? i + 1 : i;
        if (!W(j + 1, "week") && !W(j + 1, "uge")) return null;
        if (WordIn(j, This)) return (0, j + 2);
        if (WordIn(j, Next)) return (1, j + 2);
        return null;
    }

    // ---- entities ----

    private TimeMatch TimeEntity(int first, int next, TimePoint time)
    {
        var extra = new Dictionary<string, string> { ["grain"] = time.Grain };
        if (time.To is { } to) extra["to"] = Iso(to);
        return new TimeMatch(first, next, "time", Iso(time.Value), extra);
    }

    private static TimeMatch DurationEntity(int first, int next, long seconds) =>
        new(first, next, "duration", IsoDuration(seconds), new Dictionary<string, string> { ["seconds"] = seconds.ToString(CultureInfo.InvariantCulture) });

    private static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static string IsoDuration(long seconds)
    {
        var days = seconds / 86400;
        var rest = seconds % 86400;
        var text = "P" + (days > 0 ? $"{days}D" : "");
        if (rest > 0)
            text += "T" + (rest / 3600 > 0 ? $"{rest / 3600}H" : "") + (rest % 3600 / 60 > 0 ? $"{rest % 3600 / 60}M" : "") + (rest % 60 > 0 ? $"{rest % 60}S" : "");
        return text;
    }

    // ---- token helpers ----

    private int Span(int first, int next) => tokens[next - 1].End - tokens[first].Start;

    /// <summary>
    /// A match must not cut a longer run of digits or a word: "12-05" inside "2026-12-05", "12" in "AB12", "5/12" of "5/12/99".
    /// </summary>
    private bool StandsAlone(int first, int next)
    {
        if (tokens[first].Kind == TokenKind.Number && first > 0 && Glued(first) && tokens[first - 1].Kind != TokenKind.Symbol) return false;
        if (tokens[first].Kind == TokenKind.Number && FollowsDigitChain(first)) return false;
        if (next >= tokens.Length || !Glued(next)) return true;
        var after = tokens[next];
        if (tokens[next - 1].Kind == TokenKind.Number && after.Kind != TokenKind.Symbol) return false;
        if (tokens[next - 1].Kind != TokenKind.Symbol && after.Kind == TokenKind.Word) return false;
        return !(after.Norm is ":" or "/" or "." or "," or "-" && next + 1 < tokens.Length && Glued(next + 1) && tokens[next + 1].Kind == TokenKind.Number);
    }

    /// <summary>The number at i continues one before it: "2026-12" or "1.5" or "10:30".</summary>
    private bool FollowsDigitChain(int i) =>
        i >= 2 && Glued(i) && tokens[i - 1].Norm is ":" or "/" or "." or "," or "-" && Glued(i - 1) && tokens[i - 2].Kind == TokenKind.Number;

    private bool FollowedByCount(int i) => i < tokens.Length && CountNouns.Contains(tokens[i].Norm) || (i < tokens.Length && tokens[i].Kind == TokenKind.Word && Units.ContainsKey(tokens[i].Norm));

    private bool IsCurrency(int i) => i >= 0 && i < tokens.Length && Currencies.Contains(tokens[i].Norm);

    private bool Glued(int i) => i > 0 && i < tokens.Length && tokens[i - 1].End == tokens[i].Start;

    private bool W(int i, string word) => i >= 0 && i < tokens.Length && tokens[i].Kind == TokenKind.Word && tokens[i].Norm == word;

    private bool WordIn(int i, IReadOnlySet<string> words) => i >= 0 && i < tokens.Length && tokens[i].Kind == TokenKind.Word && words.Contains(tokens[i].Norm);

    private bool Sym(int i, string symbol) => i >= 0 && i < tokens.Length && tokens[i].Kind == TokenKind.Symbol && tokens[i].Norm == symbol;

    private bool SymIn(int i, IReadOnlySet<string> symbols) => i >= 0 && i < tokens.Length && tokens[i].Kind == TokenKind.Symbol && symbols.Contains(tokens[i].Norm);

    private int? Num(int i) =>
        i >= 0 && i < tokens.Length && tokens[i].Kind == TokenKind.Number && tokens[i].Norm.Length <= 4 ? int.Parse(tokens[i].Norm, CultureInfo.InvariantCulture) : null;
}
