using static SmartParking.Server.Modules.Chat.Nlu.Time.TimeLexicon;

namespace SmartParking.Server.Modules.Chat.Nlu.Time;

internal sealed partial class TimeGrammar
{
    private (DateRef Date, int Next)? DateAt(int i)
    {
        var j = WordIn(i, On) ? i + 1 : i;
        if (W(j, "today") || W(j, "idag")) return (new DateRef(calendar.Today), j + 1);
        if (W(j, "tomorrow") || W(j, "imorgen")) return (new DateRef(calendar.Today.AddDays(1)), j + 1);
        if (W(j, "overmorgen")) return (new DateRef(calendar.Today.AddDays(2)), j + 1);
        // A day gone is read as said, so the dialogue can say it has passed rather than answer for another day.
        if (W(j, "yesterday") || W(j, "igaar")) return (new DateRef(calendar.Today.AddDays(-1)), j + 1);
        if (W(j, "i") && j == i)
        {
            if (W(j + 1, "gaar")) return (new DateRef(calendar.Today.AddDays(-1)), j + 2);
            if (W(j + 1, "dag")) return (new DateRef(calendar.Today), j + 2);
            if (W(j + 1, "morgen")) return (new DateRef(calendar.Today.AddDays(1)), j + 2);
            if (W(j + 1, "overmorgen")) return (new DateRef(calendar.Today.AddDays(2)), j + 2);
        }
        var k = W(j, "the") ? j + 1 : j;
        if (W(k, "day") && W(k + 1, "after") && W(k + 2, "tomorrow")) return (new DateRef(calendar.Today.AddDays(2)), k + 3);
        if (NamedDayAt(k) is { } named) return named;
        if (WeekdayAt(j) is not { } weekday) return ExplicitDate(j);
        // "Friday the 11th", "fredag d. 11/12": the date says which Friday.
        return ExplicitDate(Sym(weekday.Next, ",") ? weekday.Next + 1 : weekday.Next) ?? weekday;
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
}
