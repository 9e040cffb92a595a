using static SmartParking.Server.Modules.Chat.Nlu.Time.TimeLexicon;

namespace SmartParking.Server.Modules.Chat.Nlu.Time;

internal sealed partial class TimeGrammar
{
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
        // "30 more minutes", "2 extra hours" (an extension's amount)
        if (q.Language != Language.Danish && (W(q.Next, "more") || W(q.Next, "extra") || W(q.Next, "additional"))) q = q with { Next = q.Next + 1 };
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
        else if (W(i, "a") || W(i, "an") || W(i, "another")) whole = (1, Language.English, i + 1);
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
}
