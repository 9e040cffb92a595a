using System.Text.Json;
using System.Text.RegularExpressions;
using SmartParking.Tests.Infrastructure;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SmartParking.Tests.Chat;

/// <summary>
/// The chat assistant's Rasa NLU training data (data/chat/nlu) keeps the shape the classifier and tagger are trained on:
/// every intent in both languages with enough examples, no example twice, and inline entity annotations that Rasa can
/// parse and that name only the entities and space-type values the assistant acts on.
/// </summary>
public sealed partial class NluTrainingDataShapeTests
{
    private static readonly string[] Languages = ["en", "da"];

    private static readonly string[] ConversationIntents = ["greet", "goodbye", "thanks", "affirm", "deny", "help", "out_of_scope"];

    private static readonly string[] TaskIntents =
    [
        "find_parking", "check_price", "reserve", "my_bookings", "cancel_reservation", "extend", "start_session",
        "stop_session", "report_issue", "human_handoff", "billing",
    ];

    private const int MinTaskExamples = 60;
    private const int MinConversationExamples = 35;

    private static readonly string[] Entities = ["location", "time", "duration", "plate", "space_type"];
    private static readonly string[] SpaceTypes = ["ev", "accessible", "compact", "motorcycle", "standard"];

    // Rasa's inline forms: [text](entity) or [text]{"entity": ..., "value": ...}.
    [GeneratedRegex(@"\[(?<text>[^\[\]]+)\](?:\((?<entity>[^()]*)\)|(?<json>\{[^{}]*\}))")]
    private static partial Regex Annotation();

    [Theory]
    [InlineData("en")]
    [InlineData("da")]
    public void EveryIntent_HasTheMinimumNumberOfExamples(string language)
    {
        var intents = Intents(Load(language)).ToDictionary(i => i.Intent, i => i.Examples.Count);

        intents.Keys.Order().ShouldBe(ConversationIntents.Concat(TaskIntents).Order(), $"{language}.yml intents");
        var tooFew = intents
            .Where(i => i.Value < (TaskIntents.Contains(i.Key) ? MinTaskExamples : MinConversationExamples))
            .Select(i => $"{i.Key}: {i.Value}");
        tooFew.ShouldBeEmpty($"{language}.yml intents below their minimum");
    }

    [Theory]
    [InlineData("en")]
    [InlineData("da")]
    public void NoExample_AppearsTwiceInALanguage(string language)
    {
        var repeated = Intents(Load(language))
            .SelectMany(i => i.Examples.Select(e => (i.Intent, Key: Normalised(e))))
            .GroupBy(e => e.Key)
            .Where(g => g.Count() > 1)
            .Select(g => $"'{g.Key}' in {string.Join(", ", g.Select(e => e.Intent))}");

        repeated.ShouldBeEmpty($"{language}.yml repeats");
    }

    [Fact]
    public void AnExampleSharedByBothLanguages_HasOneIntent()
    {
        // "ok" or "stop" read the same in English and Danish; a model trained on both files must not see two labels.
        var conflicting = Languages
            .SelectMany(language => Intents(Load(language)))
            .SelectMany(i => i.Examples.Select(e => (i.Intent, Key: Normalised(e))))
            .GroupBy(e => e.Key)
            .Where(g => g.Select(e => e.Intent).Distinct().Count() > 1)
            .Select(g => $"'{g.Key}' in {string.Join(", ", g.Select(e => e.Intent).Distinct())}");

        conflicting.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("en")]
    [InlineData("da")]
    public void EveryAnnotation_IsWellFormed_AndNamesAKnownEntity(string language)
    {
        var problems = Intents(Load(language))
            .SelectMany(i => i.Examples.SelectMany(AnnotationProblems).Select(p => $"{i.Intent}: {p}"));

        problems.ShouldBeEmpty($"{language}.yml annotations");
    }

    [Fact]
    public void SharedEntityData_CoversTheSpaceTypesLocationsAndPlates()
    {
        var items = Load("entities");

        var synonyms = items.Where(i => i.ContainsKey("synonym")).ToDictionary(i => i["synonym"], i => ExamplesOf(i));
        synonyms.Keys.Order().ShouldBe(SpaceTypes.Order());
        synonyms.ShouldAllBe(s => s.Value.Count > 0);

        var locations = items.Single(i => i.GetValueOrDefault("lookup") == "location");
        ExamplesOf(locations).Count.ShouldBeGreaterThanOrEqualTo(50);

        var plateRegexes = ExamplesOf(items.Single(i => i.GetValueOrDefault("regex") == "plate")).Select(p => new Regex(p)).ToList();
        string[] plates = ["AB 12 345", "AB12345", "AB12 CDE", "M-AB 1234", "1ABC234"];
        plates.ShouldAllBe(plate => plateRegexes.Any(r => r.IsMatch(plate)));
    }

    [Fact]
    public void EveryInlineSpaceTypeSpelling_IsListedAsASynonymOfItsValue()
    {
        // Rasa maps a spelling to its value only through the synonym table; a spelling missing there stays unnormalised.
        var synonyms = Load("entities").Where(i => i.ContainsKey("synonym"))
            .SelectMany(i => ExamplesOf(i).Select(spelling => (Spelling: spelling.ToLowerInvariant(), Value: i["synonym"])))
            .ToDictionary(s => s.Spelling, s => s.Value);

        var unlisted = Languages
            .SelectMany(language => Intents(Load(language)))
            .SelectMany(i => i.Examples)
            .SelectMany(e => Annotation().Matches(e))
            .Where(m => m.Groups["json"].Success)
            .Select(m => (Text: m.Groups["text"].Value, Value: JsonDocument.Parse(m.Groups["json"].Value).RootElement.GetProperty("value").GetString()))
            .Where(a => synonyms.GetValueOrDefault(a.Text.ToLowerInvariant()) != a.Value)
            .Select(a => $"{a.Text} → {a.Value}")
            .Distinct();

        unlisted.ShouldBeEmpty();
    }

    private static IEnumerable<string> AnnotationProblems(string example)
    {
        var outside = Annotation().Replace(example, "");
        if (outside.IndexOfAny(['[', ']', '{', '}']) >= 0)
            yield return $"unbalanced or malformed annotation in '{example}'";

        foreach (Match annotation in Annotation().Matches(example))
        {
            var text = annotation.Groups["text"].Value;
            if (text != text.Trim())
                yield return $"'{text}' has spaces inside its brackets in '{example}'";

            var (entity, value) = annotation.Groups["json"].Success
                ? JsonEntity(annotation.Groups["json"].Value)
                : (annotation.Groups["entity"].Value, text);
            if (entity is null || !Entities.Contains(entity))
                yield return $"unknown entity '{entity}' in '{example}'";
            else if (entity == "space_type" && !SpaceTypes.Contains(value))
                yield return $"space_type value '{value}' in '{example}'";
        }
    }

    private static (string? Entity, string? Value) JsonEntity(string json)
    {
        try
        {
            var root = JsonDocument.Parse(json).RootElement;
            return (root.TryGetProperty("entity", out var e) ? e.GetString() : null,
                    root.TryGetProperty("value", out var v) ? v.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The example as the classifier sees it: annotations reduced to their text, case and spacing ignored.</summary>
    private static string Normalised(string example) =>
        string.Join(' ', Annotation().Replace(example, m => m.Groups["text"].Value).ToLowerInvariant()
            .Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static IEnumerable<(string Intent, IReadOnlyList<string> Examples)> Intents(IReadOnlyList<Dictionary<string, string>> items) =>
        items.Where(i => i.ContainsKey("intent")).Select(i => (i["intent"], ExamplesOf(i)));

    private static IReadOnlyList<string> ExamplesOf(Dictionary<string, string> item) =>
        item["examples"].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.StartsWith("- ", StringComparison.Ordinal) ? line[2..] : throw new InvalidDataException($"Not a list item: '{line}'"))
            .ToList();

    private static IReadOnlyList<Dictionary<string, string>> Load(string name)
    {
        var path = Path.Combine(RepoPaths.Root, "data", "chat", "nlu", $"{name}.yml");
        var file = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<NluFile>(File.ReadAllText(path));
        file.Version.ShouldBe("3.1", path);
        return file.Nlu;
    }

    private sealed class NluFile
    {
        public string Version { get; set; } = "";
        public List<Dictionary<string, string>> Nlu { get; set; } = [];
    }
}
