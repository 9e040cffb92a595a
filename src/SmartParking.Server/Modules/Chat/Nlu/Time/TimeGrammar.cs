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
internal sealed class TimeGrammar(TimeToken[] tokens, TimeCalendar calendar)
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

    // ---- dates ----

    private (DateRef Date, int Next)? DateAt(int i)
    {
        var j = WordIn(i, On) ? i + 1 : i;
        if (W(j, "today") || W(j, "idag")) return (new DateRef(calendar.Today), j + 1);
        if (W(j, "tomorrow") || W(j, "imorgen")) return (new DateRef(calendar.Today.AddDays(1)), j + 1);
        if (W(j, "overmorgen")) return (new DateRef(calendar.Today.AddDays(2)), j + 1);
        if (W(j, "i") && j == i)
        {
            if (W(j + 1, "dag")) return (new DateRef(calendar.Today), j + 2);
            if (W(j + 1, "morgen")) return (new DateRef(calendar.Today.AddDays(1)), j + 2);
            if (W(j + 1, "overmorgen")) return (new DateRef(calendar.Today.AddDays(2)), j + 2);
        }
        var k = W(j, "the") ? j + 1 : j;
        if (W(k, "day") && W(k + 1, "after") && W(k + 2, "tomorrow")) return (new DateRef(calendar.Today.AddDays(2)), k + 3);
        if (WeekdayAt(j) is { } weekday) return weekday;
        return ExplicitDate(j);
    }

    /// <summary>"Friday", "on Friday", "this Saturday", "next Monday", "på fredag", "næste mandag".</summary>
    private (DateRef Date, int Next)? WeekdayAt(int i)
    {
        var next = WordIn(i, Next);
        var j = next || WordIn(i, This) ? i + 1 : i;
        if (j >= tokens.Length || !Weekdays.TryGetValue(tokens[j].Norm, out var weekday) || tokens[j].Kind != TokenKind.Word) return null;
        var days = ((int)weekday - (int)calendar.Today.DayOfWeek + 7) % 7;
        if (days == 0 && next) days = 7;
        return (new DateRef(calendar.Today.AddDays(days), IsWeekdayName: days == 0), j + 1);
    }

    /// <summary>"2026-12-05", "5/12", "5 December", "December 5th", "the 24th", "5. december", "d. 5/12", "den 24.".</summary>
    private (DateRef Date, int Next)? ExplicitDate(int i)
    {
        var j = i;
        var danish = false;
        if (W(j, "d") && Sym(j + 1, ".") && Glued(j + 1)) { j += 2; danish = true; }
        else if (W(j, "den")) { j++; danish = true; }
        var the = !danish && W(j, "the");
        if (the) j++;

        if (Num(j) is { } year && tokens[j].Norm.Length == 4 && Sym(j + 1, "-") && Glued(j + 1) && Num(j + 2) is { } isoMonth && Glued(j + 2)
            && Sym(j + 3, "-") && Glued(j + 3) && Num(j + 4) is { } isoDay && Glued(j + 4))
            return Dated(isoDay, isoMonth, year, j + 5);

        if (Num(j) is { } day && tokens[j].Norm.Length <= 2)
        {
            if (Sym(j + 1, "/") && Glued(j + 1) && Num(j + 2) is { } slashMonth && Glued(j + 2) && tokens[j + 2].Norm.Length <= 2)
            {
                var afterMonth = j + 3;
                if (Sym(afterMonth, "/") && Glued(afterMonth) && Glued(afterMonth + 1) && Year(afterMonth + 1) is { } slashYear)
                    return Dated(day, slashMonth, slashYear, afterMonth + 2);
                return Dated(day, slashMonth, null, afterMonth);
            }
            var k = j + 1;
            var ordinal = false;
            var dotted = false;
            if (k < tokens.Length && Glued(k) && WordIn(k, Ordinals)) { ordinal = true; k++; }
            else if (Sym(k, ".") && Glued(k)) { dotted = true; k++; }
            var m = W(k, "of") ? k + 1 : k;
            if (MonthAt(m) is { } month)
                return Year(m + 1) is { } y ? Dated(day, month, y, m + 2) : Dated(day, month, null, m + 1);
            if (ordinal || (dotted && danish)) return DayOfMonth(day, k);
            return null;
        }

        if (MonthAt(j) is { } monthFirst && Num(j + 1) is { } dayAfter && tokens[j + 1].Norm.Length <= 2)
        {
            var k = j + 2;
            if (k < tokens.Length && Glued(k) && WordIn(k, Ordinals)) k++;
            var y = Sym(k, ",") ? k + 1 : k;
            return Year(y) is { } year2 ? Dated(dayAfter, monthFirst, year2, y + 1) : Dated(dayAfter, monthFirst, null, k);
        }
        return null;
    }

    private (DateRef, int)? Dated(int day, int month, int? year, int next)
    {
        if (month is < 1 or > 12) return null;
        var y = year ?? calendar.Today.Year;
        if (y is < 1900 or > 2200 || day < 1 || day > DateTime.DaysInMonth(y, month)) return null;
        var date = new DateOnly(y, month, day);
        if (year is null && date < calendar.Today)
        {
            if (day > DateTime.DaysInMonth(y + 1, month)) return null;
            date = new DateOnly(y + 1, month, day);
        }
        return (new DateRef(date), next);
    }

    /// <summary>"the 24th": this month, or the next month that has that day once it has passed.</summary>
    private (DateRef, int)? DayOfMonth(int day, int next)
    {
        if (day is < 1 or > 31) return null;
        var month = new DateOnly(calendar.Today.Year, calendar.Today.Month, 1);
        for (var ahead = 0; ahead < 3; ahead++, month = month.AddMonths(1))
        {
            if (day > DateTime.DaysInMonth(month.Year, month.Month)) continue;
            var date = new DateOnly(month.Year, month.Month, day);
            if (date >= calendar.Today) return (new DateRef(date), next);
        }
        return null;
    }

    private int? MonthAt(int i) => i < tokens.Length && tokens[i].Kind == TokenKind.Word && Months.TryGetValue(tokens[i].Norm, out var m) ? m : null;

    private int? Year(int i) => Num(i) is { } y && tokens[i].Norm.Length == 4 ? y : null;

    // ---- parts of day ----

    private (DayPart Part, int Next)? PartAt(int i, bool bare)
    {
        if (W(i, "tonight") || W(i, "iaften")) return (DayPart.Evening, i + 1);
        if (W(i, "inat")) return (DayPart.Night, i + 1);
        if (W(i, "this") && EnglishPart(i + 1) is { } thisPart) return (thisPart, i + 2);
        if (W(i, "in") && W(i + 1, "the") && EnglishPart(i + 2) is { } inThe and not DayPart.Night) return (inThe, i + 3);
        if (W(i, "at") && W(i + 1, "night")) return (DayPart.Night, i + 2);
        if (W(i, "i") && i + 1 < tokens.Length && DanishTodayParts.TryGetValue(tokens[i + 1].Norm, out var today)) return (today, i + 2);
        if (W(i, "om") && i + 1 < tokens.Length && DanishDefiniteParts.TryGetValue(tokens[i + 1].Norm, out var definite)) return (definite, i + 2);
        if (bare && i < tokens.Length && tokens[i].Kind == TokenKind.Word && DayParts.TryGetValue(tokens[i].Norm, out var plain)) return (plain, i + 1);
        return null;
    }

    private DayPart? EnglishPart(int i) =>
        W(i, "morning") ? DayPart.Morning : W(i, "afternoon") ? DayPart.Afternoon : W(i, "evening") ? DayPart.Evening
        : W(i, "night") ? DayPart.Night : null;

    // ---- clock times ----

    /// <summary>
    /// "at 9", "kl. 9.30", "klokken 14", "by 5pm", "21:15", "9 o'clock", "noon", "half past 8", "halv ni", "kvart i 9".
    /// Strong: it cannot be a mere number (a prefix, am/pm, minutes, or a spoken form); a bare number only counts where
    /// the caller says so ("from 9 to 11") and not before a count noun ("at 2 people").
    /// </summary>
    private ClockRead? ClockAt(int i, bool allowBare)
    {
        var j = i;
        var prefixed = false;
        if (W(j, "at") || W(j, "by") || W(j, "klokken") || Sym(j, "@")) { j++; prefixed = true; }
        else if (W(j, "kl") || W(j, "klok")) { j += Sym(j + 1, ".") && Glued(j + 1) ? 2 : 1; prefixed = true; }
        if (ClockCore(j) is not { } core) return null;
        var (clock, next, form) = core;
        if (form == ClockForm.Bare && !prefixed && !allowBare) return null;
        if (form == ClockForm.Bare && (FollowedByCount(next) || clock.Hour > 24)) return null;
        if (form == ClockForm.Digital && !prefixed && (IsCurrency(j - 1) || IsCurrency(next))) return null;
        return new ClockRead(clock, next, prefixed || form != ClockForm.Bare);
    }

    private (Clock Clock, int Next, ClockForm Form)? ClockCore(int j)
    {
        if (W(j, "noon") || W(j, "midday") || W(j, "middag")) return (new Clock(12, 0, false, Meridiem.None, false), j + 1, ClockForm.Spoken);
        if (W(j, "midnight") || W(j, "midnat")) return (new Clock(0, 0, false, Meridiem.None, false), j + 1, ClockForm.Spoken);

        var k = W(j, "a") && W(j + 1, "quarter") ? j + 1 : j;
        if (W(k, "half") && W(k + 1, "past") && HourAt(k + 2) is { } halfPast) return WithMeridiem(Spoken(halfPast.Hour, 30), halfPast.Next);
        if (W(k, "quarter") && W(k + 1, "past") && HourAt(k + 2) is { } quarterPast) return WithMeridiem(Spoken(quarterPast.Hour, 15), quarterPast.Next);
        if (W(k, "quarter") && W(k + 1, "to") && HourAt(k + 2) is { } quarterTo) return WithMeridiem(Spoken(quarterTo.Hour - 1, 45), quarterTo.Next);
        // Danish counts half hours towards the next hour: "halv ni" is 8:30.
        if (W(j, "halv") && HourAt(j + 1) is { } halv) return (Spoken(halv.Hour - 1, 30), halv.Next, ClockForm.Spoken);
        if (W(j, "kvart") && W(j + 1, "over") && HourAt(j + 2) is { } kvartOver) return (Spoken(kvartOver.Hour, 15), kvartOver.Next, ClockForm.Spoken);
        if (W(j, "kvart") && W(j + 1, "i") && HourAt(j + 2) is { } kvartI) return (Spoken(kvartI.Hour - 1, 45), kvartI.Next, ClockForm.Spoken);

        if (Num(j) is { } hour && tokens[j].Norm.Length <= 2)
        {
            if ((Sym(j + 1, ":") || Sym(j + 1, ".")) && Glued(j + 1) && Glued(j + 2) && Num(j + 2) is { } minute && tokens[j + 2].Norm.Length == 2)
            {
                if (hour > 24 || minute > 59 || (hour == 24 && minute > 0)) return null;
                var digital = new Clock(hour % 24, minute, true, Meridiem.None, false);
                return MeridiemAt(j + 3) is { } m && hour is >= 1 and <= 12
                    ? (digital with { Meridiem = m.Meridiem }, m.Next, ClockForm.Digital)
                    : (digital, j + 3, ClockForm.Digital);
            }
            var ambiguous = hour is >= 1 and <= 12 && tokens[j].Norm[0] != '0';
            var said = new Clock(hour, 0, false, Meridiem.None, ambiguous);
            if (ambiguous && MeridiemAt(j + 1) is { } am) return (said with { Meridiem = am.Meridiem, Ambiguous = false }, am.Next, ClockForm.Spoken);
            if (ambiguous && W(j + 1, "o'clock")) return WithMeridiem(said, j + 2);
            return (said, j + 1, ClockForm.Bare);
        }

        if (HourWord(j) is { } word)
        {
            var said = new Clock(word, 0, false, Meridiem.None, true);
            if (MeridiemAt(j + 1) is { } am) return (said with { Meridiem = am.Meridiem, Ambiguous = false }, am.Next, ClockForm.Spoken);
            if (W(j + 1, "o'clock")) return WithMeridiem(said, j + 2);
            return (said, j + 1, ClockForm.Bare);
        }
        return null;
    }

    private static Clock Spoken(int hour, int minute)
    {
        var h = hour == 0 ? 12 : hour == -1 ? 23 : hour;
        return new Clock(h, minute, true, Meridiem.None, h is >= 1 and <= 12);
    }

    private (Clock, int, ClockForm) WithMeridiem(Clock clock, int next) =>
        clock.Ambiguous && MeridiemAt(next) is { } m
            ? (clock with { Meridiem = m.Meridiem, Ambiguous = false }, m.Next, ClockForm.Spoken)
            : (clock, next, ClockForm.Spoken);

    private (int Hour, int Next)? HourAt(int i)
    {
        if (Num(i) is { } h && tokens[i].Norm.Length <= 2 && h is >= 1 and <= 24) return (h, i + 1);
        return HourWord(i) is { } word ? (word, i + 1) : null;
    }

    private int? HourWord(int i) =>
        i < tokens.Length && tokens[i].Kind == TokenKind.Word && NumberWords.TryGetValue(tokens[i].Norm, out var n) && n.Value <= 12 ? n.Value : null;

    /// <summary>"am", "pm", "a.m.", "p.m.".</summary>
    private (Meridiem Meridiem, int Next)? MeridiemAt(int i)
    {
        if (W(i, "am")) return (Meridiem.Am, i + 1);
        if (W(i, "pm")) return (Meridiem.Pm, i + 1);
        if ((W(i, "a") || W(i, "p")) && Sym(i + 1, ".") && Glued(i + 1) && W(i + 2, "m") && Glued(i + 2))
            return (W(i, "a") ? Meridiem.Am : Meridiem.Pm, Sym(i + 3, ".") && Glued(i + 3) ? i + 4 : i + 3);
        return null;
    }

    /// <summary>"from 9 to 11", "9-11", "between 2 and 4pm", "fra kl. 9 til 11", "mellem 2 og 4".</summary>
    private (Clock From, Clock To, int Next)? Interval(int i)
    {
        var opened = W(i, "from") || W(i, "fra");
        var between = W(i, "between") || W(i, "mellem");
        if (ClockAt(opened || between ? i + 1 : i, allowBare: true) is not { } from) return null;
        var sep = from.Next;
        var joined = between ? W(sep, "and") || W(sep, "og") : opened ? WordIn(sep, RangeTo) || SymIn(sep, Dashes) : SymIn(sep, Dashes);
        if (!joined || ClockAt(sep + 1, allowBare: true) is not { } to) return null;
        // "9-11" alone must read as hours in order; "10-20 kr" or "12-05" of a date are not times.
        if (!opened && !between && !from.Strong && !to.Strong && from.Clock.Hour >= to.Clock.Hour) return null;
        return (from.Clock, to.Clock, to.Next);
    }

    // ---- durations ----

    /// <summary>
    /// "2 hours", "2h", "90 min", "an hour", "half an hour", "1,5 hours", "one and a half hours", "a couple of hours",
    /// "1 hour 30 minutes", "all day", "2 timer", "en halv time", "halvanden time", "et par timer", "hele dagen", "et kvarter".
    /// </summary>
    private (long Seconds, int Next)? Duration(int i)
    {
        if (W(i, "all") && W(i + 1, "day")) return (86400, i + 2);
        if (W(i, "hele") && W(i + 1, "dagen")) return (86400, i + 2);
        var w = W(i, "the") ? i + 1 : i;
        if (W(w, "whole") && W(w + 1, "day")) return (86400, w + 2);
        if (W(i, "et") && W(i + 1, "kvarter")) return (900, i + 2);
        if (W(i, "tre") && W(i + 1, "kvarter")) return (2700, i + 2);
        var q = W(i, "a") && W(i + 1, "quarter") ? i + 1 : i;
        if (W(q, "quarter") && W(q + 1, "of") && W(q + 2, "an") && W(q + 3, "hour")) return (900, q + 4);

        if (Amount(i) is not { } first) return null;
        var total = first.Seconds;
        var next = first.Next;
        // "an hour and a half", "1 hour 30 minutes", "1 time og 30 minutter"
        if ((W(next, "and") && W(next + 1, "a") && W(next + 2, "half")) || (W(next, "og") && W(next + 1, "en") && W(next + 2, "halv")))
            return (total + first.Unit / 2, next + 3);
        var link = W(next, "and") || W(next, "og") || Sym(next, ",") ? next + 1 : next;
        if (Amount(link) is { } second && second.Unit < first.Unit) return (total + second.Seconds, second.Next);
        return (total, next);
    }

    private (long Seconds, long Unit, int Next)? Amount(int i)
    {
        if (Quantity(i) is not { } q || i >= tokens.Length) return null;
        if (q.Next >= tokens.Length || tokens[q.Next].Kind != TokenKind.Word || !Units.TryGetValue(tokens[q.Next].Norm, out var unit)) return null;
        if (unit.DigitsOnly && q.Language != Language.Neutral) return null;
        if (unit.Language != Language.Neutral && q.Language != Language.Neutral && unit.Language != q.Language) return null;
        if (q.Language == Language.Neutral && FollowsDigitChain(i)) return null;
        var seconds = (long)Math.Round(q.Value * unit.Seconds);
        if (seconds <= 0 || seconds > 366L * 86400) return null;
        return (seconds, unit.Seconds, q.Next + 1);
    }

    /// <summary>An amount before a unit: digits ("2", "1.5", "1,5"), words, halves and pairs, with its language.</summary>
    private (double Value, Language Language, int Next)? Quantity(int i)
    {
        if (W(i, "half") && (W(i + 1, "an") || W(i + 1, "a"))) return (0.5, Language.English, i + 2);
        if ((W(i, "a") || W(i, "an")) && W(i + 1, "couple") && W(i + 2, "of")) return (2, Language.English, i + 3);
        if (W(i, "couple") && W(i + 1, "of")) return (2, Language.English, i + 2);
        if ((W(i, "en") || W(i, "et")) && (W(i + 1, "halv") || W(i + 1, "halvt"))) return (0.5, Language.Danish, i + 2);
        if (W(i, "et") && W(i + 1, "par")) return (2, Language.Danish, i + 2);
        if (W(i, "halvanden")) return (1.5, Language.Danish, i + 1);

        (double Value, Language Language, int Next)? whole = null;
        if (Num(i) is { } n && tokens[i].Norm.Length <= 4)
        {
            whole = (n, Language.Neutral, i + 1);
            if ((Sym(i + 1, ".") || Sym(i + 1, ",")) && Glued(i + 1) && Glued(i + 2) && Num(i + 2) is { } fraction && tokens[i + 2].Norm.Length <= 2)
                whole = (n + fraction / Math.Pow(10, tokens[i + 2].Norm.Length), Language.Neutral, i + 3);
        }
        else if (W(i, "a") || W(i, "an")) whole = (1, Language.English, i + 1);
        else if (W(i, "forty") && (W(i + 1, "five") || (Sym(i + 1, "-") && W(i + 2, "five"))))
            whole = (45, Language.English, W(i + 1, "five") ? i + 2 : i + 3);
        else if (i < tokens.Length && tokens[i].Kind == TokenKind.Word && NumberWords.TryGetValue(tokens[i].Norm, out var word))
            whole = (word.Value, word.Language, i + 1);
        if (whole is not { } w) return null;
        // "one and a half hours", "2 and a half hours", "to og en halv time"
        if (W(w.Next, "and") && W(w.Next + 1, "a") && W(w.Next + 2, "half") && w.Language != Language.Danish)
            return (w.Value + 0.5, w.Language, w.Next + 3);
        if (W(w.Next, "og") && W(w.Next + 1, "en") && W(w.Next + 2, "halv") && w.Language != Language.English)
            return (w.Value + 0.5, w.Language, w.Next + 3);
        return w;
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
