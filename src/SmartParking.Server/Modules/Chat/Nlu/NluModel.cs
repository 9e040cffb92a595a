namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>What the NLU made of a message, in Rasa's terms.</summary>
public sealed record NluParse(string Text, IntentScore Intent, IReadOnlyList<IntentScore> Ranking, IReadOnlyList<ExtractedEntity> Entities)
{
    public bool IsFallback => Intent.Name == NluModel.FallbackIntent;

    public ExtractedEntity? First(string entity) => Entities.FirstOrDefault(e => e.Entity == entity);
}

/// <summary>
/// When the classifier is not sure enough to act (Rasa's FallbackClassifier): the best intent's confidence is below
/// <see cref="Threshold"/>, or the runner-up is within <see cref="Ambiguity"/> of it. Rasa's default threshold is 0.3;
/// with the cue words the classifier is surer of itself, and 0.4 keeps gibberish and one-word guesses ("timer",
/// "tomorrow") in the fallback at a cross-validated cost of 0.003 (0.3: 0.955, 0.4: 0.952, 0.5: 0.949).
/// </summary>
public sealed record NluFallback(double Threshold = 0.4, double Ambiguity = 0.05);

/// <summary>
/// The trained NLU: intents from <see cref="IntentClassifier"/>; entities from the time rules first, then coordinate pairs as places, then the data's regexes,
/// then the learned tagger, then the lookup tables and synonyms, each kept only where nothing before it claimed the text;
/// every value then mapped through the synonyms (Rasa's EntitySynonymMapper).
/// </summary>
public sealed partial class NluModel
{
    /// <summary>"56.1567, 10.2108": a place by itself, which the tagger would cut at its punctuation.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\d.])-?\d{1,2}\.\d+\s*,\s*-?\d{1,3}\.\d+(?![\d.])", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex CoordinatePair();

    public const string FallbackIntent = "nlu_fallback";

    private readonly NluTrainingData data;
    private readonly IntentClassifier intents;
    private readonly EntityTagger tagger;
    private readonly NluGazetteer gazetteer;
    private readonly NluFallback fallback;

    private NluModel(NluTrainingData data, IntentClassifier intents, EntityTagger tagger, NluGazetteer gazetteer, NluFallback fallback)
    {
        this.data = data;
        this.intents = intents;
        this.tagger = tagger;
        this.gazetteer = gazetteer;
        this.fallback = fallback;
    }

    public IReadOnlyList<string> Intents => data.Intents;

    public static NluModel Train(NluTrainingData data, NluFallback? fallback = null)
    {
        var gazetteer = new NluGazetteer(data);
        return new NluModel(data, IntentClassifier.Train(data.Examples, new NluCues(data)), EntityTagger.Train(data.Examples, gazetteer), gazetteer, fallback ?? new NluFallback());
    }

    public NluParse Parse(string text, DateTimeOffset now, TimeZoneInfo zone)
    {
        text = NluText.WellFormed(text);
        var entities = Entities(text, now, zone);
        var ranking = intents.Rank(text, entities);
        var best = ranking[0];
        var unsure = best.Confidence < fallback.Threshold
                     || (ranking.Count > 1 && best.Confidence - ranking[1].Confidence < fallback.Ambiguity);
        var intent = unsure ? new IntentScore(FallbackIntent, fallback.Threshold) : best;
        return new NluParse(text, intent, unsure ? [intent, .. ranking] : ranking, entities);
    }

    public IReadOnlyList<ExtractedEntity> Entities(string text, DateTimeOffset now, TimeZoneInfo zone)
    {
        var accepted = new List<ExtractedEntity>();
        void Claim(IEnumerable<ExtractedEntity> candidates)
        {
            foreach (var c in candidates.OrderByDescending(c => c.End - c.Start))
                if (!accepted.Any(a => a.Start < c.End && c.Start < a.End)) accepted.Add(c);
        }
        var tokens = NluText.Tokens(text);
        var lists = gazetteer.Find(text, tokens);
        Claim(TimeExpressions.Find(text, now, zone));
        Claim(CoordinatePair().Matches(text).Select(m => new ExtractedEntity("location", m.Value, m.Index, m.Index + m.Length, "coordinates")));
        Claim(lists.Where(e => e.Extractor == "regex"));
        Claim(tagger.Extract(text, tokens, lists).Select(e => NameContinued(text, tokens, e, accepted)));
        Claim(lists.Where(e => e.Extractor != "regex"));
        return accepted
            .Select(e => e.Entity is "time" or "duration" ? e : e with { Value = data.Canonical(e.Value) })
            .OrderBy(e => e.Start)
            .ToList();
    }

    /// <summary>
    /// A place the tagger cut short ("Qzxville" of "Qzxville Nowhere"): the capitalised words right after it, one space
    /// apart, are the rest of its name. A lower-case word, punctuation or an entity already found (a time) ends it.
    /// </summary>
    private static ExtractedEntity NameContinued(string text, IReadOnlyList<NluToken> tokens, ExtractedEntity place, List<ExtractedEntity> claimed)
    {
        if (place.Entity != "location") return place;
        var end = place.End;
        foreach (var token in tokens)
        {
            if (token.Start < end) continue;
            if (token.Start != end + 1 || text[end] != ' ' || !char.IsUpper(token.Text[0])
                || claimed.Any(c => c.Start < token.End && token.Start < c.End)) break;
            end = token.End;
        }
        return end == place.End ? place : place with { Value = text[place.Start..end], End = end };
    }
}
