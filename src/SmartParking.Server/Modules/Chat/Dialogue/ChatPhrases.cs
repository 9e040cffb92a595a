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
