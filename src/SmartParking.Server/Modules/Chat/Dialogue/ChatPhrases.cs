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
}
