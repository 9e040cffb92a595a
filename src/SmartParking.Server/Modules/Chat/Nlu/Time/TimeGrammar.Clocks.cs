using static SmartParking.Server.Modules.Chat.Nlu.Time.TimeLexicon;

namespace SmartParking.Server.Modules.Chat.Nlu.Time;

internal sealed partial class TimeGrammar
{
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
        if (form == ClockForm.Digital && !prefixed && (IsCurrency(j - 1) || FollowedByCount(next))) return null;
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
            if (hour == 12 && (W(j + 1, "noon") || W(j + 1, "midday") || W(j + 1, "middag")))
                return (new Clock(12, 0, false, Meridiem.None, false), j + 2, ClockForm.Spoken);
            if (hour == 12 && (W(j + 1, "midnight") || W(j + 1, "midnat")))
                return (new Clock(0, 0, false, Meridiem.None, false), j + 2, ClockForm.Spoken);
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
}
