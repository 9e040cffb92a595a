namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>
/// The training data's word lists: lookup tables, synonyms (each under the entity its value is annotated as) and regexes.
/// They find entities on their own (a known place, "elbil" → ev, a plate's pattern) and tell the tagger which tokens they
/// cover, so it can weigh a list against the context.
/// </summary>
public sealed class NluGazetteer
{
    private const int LongestPhrase = 6;

    /// <summary>Folded phrase (words joined by one space) → (entity, value).</summary>
    private readonly Dictionary<string, (string Entity, string Value, string Source)> phrases = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<NluRegex> regexes;

    public NluGazetteer(NluTrainingData data)
    {
        regexes = data.Regexes;
        foreach (var (entity, values) in data.EntityLookups)
            foreach (var value in values)
                phrases.TryAdd(Phrase(value), (entity, value, "lookup"));
        // A synonym's entity is the one its value is annotated as somewhere in the examples.
        var entityOfValue = data.Examples.SelectMany(e => e.Entities)
            .GroupBy(e => NluText.Fold(e.Value), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.GroupBy(e => e.Entity).MaxBy(x => x.Count())!.Key, StringComparer.Ordinal);
        foreach (var (written, value) in data.Synonyms)
            if (entityOfValue.TryGetValue(NluText.Fold(value), out var entity))
                phrases[Phrase(written)] = (entity, value, "synonym");
    }

    private static string Phrase(string text) => string.Join(' ', NluText.Tokens(text).Select(t => t.Folded));

    /// <summary>Every list match in the text, longest first where they overlap.</summary>
    public IReadOnlyList<ExtractedEntity> Find(string text) => Find(text, NluText.Tokens(text));

    /// <inheritdoc cref="Find(string)"/>
    public List<ExtractedEntity> Find(string text, IReadOnlyList<NluToken> tokens)
    {
        var found = new List<ExtractedEntity>();
        var lookup = phrases.GetAlternateLookup<ReadOnlySpan<char>>();
        // The phrase of n tokens is the start of the phrase of n + 1: each is looked up as a slice of the longest, built once.
        var buffer = new System.Text.StringBuilder();
        Span<int> ends = stackalloc int[LongestPhrase];
        for (var i = 0; i < tokens.Count; i++)
        {
            var longest = Math.Min(LongestPhrase, tokens.Count - i);
            buffer.Clear();
            for (var n = 0; n < longest; n++)
            {
                if (n > 0) buffer.Append(' ');
                buffer.Append(tokens[i + n].Folded);
                ends[n] = buffer.Length;
            }
            var joined = buffer.ToString();
            for (var n = longest; n >= 1; n--)
            {
                if (!lookup.TryGetValue(joined.AsSpan(0, ends[n - 1]), out var hit)) continue;
                var (start, end) = (tokens[i].Start, tokens[i + n - 1].End);
                found.Add(new ExtractedEntity(hit.Entity, hit.Source == "synonym" ? hit.Value : text[start..end], start, end, hit.Source));
                i += n - 1;
                break;
            }
        }
        foreach (var regex in regexes)
        {
            try
            {
                foreach (System.Text.RegularExpressions.Match m in regex.Pattern.Matches(text))
                    if (m.Length > 0) found.Add(new ExtractedEntity(regex.Entity, m.Value, m.Index, m.Index + m.Length, "regex"));
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                // A pathological message against a data regex: that regex finds nothing in it.
            }
        }
        return found;
    }

    /// <summary>For each token, the list features covering it ("lookup:location", "regex:plate"…), null for none.</summary>
    public List<string>?[] Cover(string text, IReadOnlyList<NluToken> tokens) => Cover(tokens, Find(text, tokens));

    /// <summary>As <see cref="Cover(string, IReadOnlyList{NluToken})"/>, from matches <see cref="Find(string, IReadOnlyList{NluToken})"/> made already.</summary>
    public static List<string>?[] Cover(IReadOnlyList<NluToken> tokens, IReadOnlyList<ExtractedEntity> matches)
    {
        var cover = new List<string>?[tokens.Count];
        foreach (var match in matches)
            for (var i = 0; i < tokens.Count; i++)
                if (tokens[i].Start >= match.Start && tokens[i].End <= match.End)
                    (cover[i] ??= []).Add(match.Extractor + ":" + match.Entity);
        return cover;
    }
}
