using System.Text.RegularExpressions;
using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Server.Modules.Chat.Dialogue;

/// <summary>Rules the dialogue falls back on where the learned extractors found nothing.</summary>
public static partial class ChatPhrases
{
    [GeneratedRegex(@"\b(?:near|at|by|around|close to|next to|in|ved|nær|naer|på|paa|omkring|tæt på|taet paa|i nærheden af)\s+(?<place>[^?!.,;]{2,80})",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PlacePhrase();

    /// <summary>
    /// What follows a place preposition, with any time or duration cut out ("at Dokk1 tomorrow at 9" → "Dokk1"), last one
    /// first: the place usually ends the request.
    /// </summary>
    public static IEnumerable<string> AfterPlacePreposition(NluParse parse)
    {
        var candidates = new List<string>();
        foreach (Match m in PlacePhrase().Matches(parse.Text))
        {
            var group = m.Groups["place"];
            var end = group.Index + group.Length;
            foreach (var e in parse.Entities.Where(e => e.Entity is "time" or "duration" && e.Start > group.Index && e.Start < end)) end = Math.Min(end, e.Start);
            var text = parse.Text[group.Index..end].Trim();
            if (text.Length >= 2 && !parse.Entities.Any(e => e.Entity is "time" or "duration" && e.Start <= group.Index && e.End > group.Index))
                candidates.Add(text);
        }
        candidates.Reverse();
        return candidates;
    }

    /// <summary>
    /// Longer names a tagged place may be part of ("Station" of "Mzrjsh Station"), longest first: the run of capitalised
    /// words around it, a phrase after a place preposition that holds it, and, for a message that answers "where?", the
    /// whole message.
    /// </summary>
    public static IEnumerable<string> AroundPlace(NluParse parse, ExtractedEntity place, bool answersWhere)
    {
        var text = parse.Text;
        var candidates = new List<string>();
        var (start, end) = (place.Start, place.End);
        while (PreviousWord(text, start) is { } before && IsNameWord(text, before.Start, before.End)) start = before.Start;
        while (NextWord(text, end) is { } after && IsNameWord(text, after.Start, after.End)) end = after.End;
        candidates.Add(text[start..end]);
        candidates.AddRange(AfterPlacePreposition(parse).Where(c => c.Contains(place.Value, StringComparison.OrdinalIgnoreCase)));
        if (answersWhere) candidates.Add(text.Trim().TrimEnd('.', '!', '?'));
        return candidates.Where(c => c.Length > place.End - place.Start && c.Length <= 200).Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(c => c.Length);
    }

    [GeneratedRegex(@"(?<![\p{L}\p{N}])(?:(?<the>the|den|det)\s+)?(?:(?<word>first|second|third|fourth|fifth|last|første|foerste|forste|anden|andet|tredje|fjerde|femte|sidste)(?:\s+(?<one>one))?|(?<nth>[1-9])(?:st|nd|rd|th)|(?:number|no\.?|nr\.?|nummer|option|mulighed|\#)\s*(?<n>[1-9][0-9]?))(?![\p{L}\p{N}])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PickPhrase();

    [GeneratedRegex(@"^\s*(?:nr\.?\s*|\#)?(?<n>[1-9])\s*[.!]?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex BareNumber();

    /// <summary>
    /// Which of the <paramref name="count"/> listed items the message picks, 0-based: "the second one", "I'll take the
    /// third", "2nd", "number 2", "den anden", "nummer 1", "#3", a message that is only "2", "the last one". English
    /// ordinals need "the" or "one" ("a second" is time); Danish "anden" needs "den"/"det" ("en anden" is "another").
    /// Null when it picks none of them, or names a number past the list; words inside a time or duration never count.
    /// </summary>
    public static int? Pick(NluParse parse, int count)
    {
        if (BareNumber().Match(parse.Text) is { Success: true } bare) return InList(int.Parse(bare.Groups["n"].Value) - 1, count);
        foreach (Match m in PickPhrase().Matches(parse.Text))
        {
            if (parse.Entities.Any(e => e.Entity is "time" or "duration" && e.Start < m.Index + m.Length && e.End > m.Index)) continue;
            if (m.Groups["n"].Success) return InList(int.Parse(m.Groups["n"].Value) - 1, count);
            if (m.Groups["nth"].Success) return InList(int.Parse(m.Groups["nth"].Value) - 1, count);
            var word = m.Groups["word"].Value.ToLowerInvariant();
            var english = word is "first" or "second" or "third" or "fourth" or "fifth" or "last";
            if (english && !m.Groups["one"].Success && !m.Groups["the"].Value.Equals("the", StringComparison.OrdinalIgnoreCase)) continue;
            if (word is "anden" or "andet" && !m.Groups["the"].Success) continue;
            return InList(word switch
            {
                "first" or "første" or "foerste" or "forste" => 0,
                "second" or "anden" or "andet" => 1,
                "third" or "tredje" => 2,
                "fourth" or "fjerde" => 3,
                "fifth" or "femte" => 4,
                _ => count - 1,
            }, count);
        }
        return null;
    }

    private static int? InList(int index, int count) => index >= 0 && index < count ? index : null;

    private static bool IsNameWord(string text, int start, int end) => end > start && (char.IsUpper(text[start]) || char.IsDigit(text[start]));

    private static (int Start, int End)? PreviousWord(string text, int from)
    {
        var end = from;
        while (end > 0 && text[end - 1] == ' ') end--;
        if (end == from || end == 0) return null;
        var start = end;
        while (start > 0 && !char.IsWhiteSpace(text[start - 1]) && !IsBreak(text[start - 1])) start--;
        return start < end ? (start, end) : null;
    }

    private static (int Start, int End)? NextWord(string text, int from)
    {
        var start = from;
        while (start < text.Length && text[start] == ' ') start++;
        if (start == from || start >= text.Length) return null;
        var end = start;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && !IsBreak(text[end])) end++;
        return end > start ? (start, end) : null;
    }

    private static bool IsBreak(char c) => c is ',' or '.' or '!' or '?' or ';' or ':';
}
