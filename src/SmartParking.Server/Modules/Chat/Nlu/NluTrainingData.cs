using System.Text.RegularExpressions;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>One training utterance: its intent, its plain text and the entities annotated in it.</summary>
public sealed record NluExample(string Intent, string Text, IReadOnlyList<ExtractedEntity> Entities, string Source);

/// <summary>A regex feature from the data (Rasa's <c>regex:</c>), named by the entity it finds.</summary>
public sealed record NluRegex(string Entity, Regex Pattern);

/// <summary>
/// What Rasa NLU YAML files hold, merged: examples per intent with their annotated entities, synonyms (a written form →
/// the value it stands for), lookup tables (entity → known values) and regexes.
/// </summary>
public sealed class NluTrainingData
{
    public NluTrainingData(IReadOnlyList<NluExample> examples, IReadOnlyDictionary<string, string> synonyms,
        IReadOnlyDictionary<string, IReadOnlyList<string>> lookups, IReadOnlyList<NluRegex> regexes)
    {
        Examples = examples;
        Synonyms = synonyms;
        Lookups = lookups;
        Regexes = regexes;
        entities = new Lazy<HashSet<string>>(() => examples.SelectMany(e => e.Entities).Select(e => e.Entity)
            .Concat(regexes.Select(r => r.Entity)).ToHashSet(StringComparer.Ordinal));
        Intents = examples.Select(e => e.Intent).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<NluExample> Examples { get; }

    /// <summary>Keyed by <see cref="NluText.Fold"/> of the written form.</summary>
    public IReadOnlyDictionary<string, string> Synonyms { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Lookups { get; }

    /// <summary>
    /// The lookup tables that name an entity annotated in the examples: lists of values the entity extractors find.
    /// </summary>
    public IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> EntityLookups => Lookups.Where(l => IsEntity(l.Key));

    /// <summary>
    /// The other lookup tables: cue words ("cue_greeting": hi, hej, howdy…) the intent classifier reads as features, as
    /// Rasa's RegexFeaturizer reads every lookup table.
    /// </summary>
    public IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> CueLookups => Lookups.Where(l => !IsEntity(l.Key));

    private bool IsEntity(string name) => entities.Value.Contains(name);

    private readonly Lazy<HashSet<string>> entities;

    public IReadOnlyList<NluRegex> Regexes { get; }

    /// <summary>Every intent the examples name, in order; worked out once, as every message's button payload is checked against it.</summary>
    public IReadOnlyList<string> Intents { get; }

    /// <summary>The same synonyms, lookups and regexes with only some of the examples (cross-validation folds).</summary>
    public NluTrainingData WithExamples(IReadOnlyList<NluExample> examples) => new(examples, Synonyms, Lookups, Regexes);

    /// <summary>The value a written form stands for: its synonym's value, else the text itself.</summary>
    public string Canonical(string text) => Synonyms.TryGetValue(NluText.Fold(text), out var value) ? value : text;
}
