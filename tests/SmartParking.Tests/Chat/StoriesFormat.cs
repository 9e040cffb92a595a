using YamlDotNet.RepresentationModel;

namespace SmartParking.Tests.Chat;

/// <summary>
/// What a story sets up before its first message (its <c>metadata:</c>; the header of every file in data/chat/tests
/// explains the words). Every story gets its own sender, driver and lot, so stories never see each other's data.
/// </summary>
public sealed record StoryFixtures(
    string Language,
    string Channel,
    string Driver,
    bool Lot,
    IReadOnlyList<string> Sessions,
    int Bookings,
    bool OtherDriver);

public abstract record StoryStep(int Line);

/// <summary>A message from the user: its text (with placeholders and entity annotations) and the intent the NLU must find, if given.</summary>
public sealed record UserStep(int Line, string Text, string? Intent) : StoryStep(Line);

/// <summary>The assistant's next reply: contains <see cref="Expected"/>, or matches it when written /…/; offers at least <see cref="Buttons"/> (payloads).</summary>
public sealed record BotStep(int Line, string Expected, IReadOnlyList<string>? Buttons) : StoryStep(Line);

/// <summary>A fact about the platform that must hold at this point (a booking made, an alert raised).</summary>
public sealed record CheckStep(int Line, string Fact) : StoryStep(Line);

public sealed record ChatStory(string File, string Name, int Line, StoryFixtures Fixtures, IReadOnlyList<StoryStep> Steps)
{
    public string Id => $"{File}: {Name}";

    public override string ToString() => Id;
}

/// <summary>Story files that cannot be read, with the file and line at fault.</summary>
public sealed class StoryFormatException(string message) : Exception(message);

/// <summary>
/// Reads Rasa 3 test stories (<c>stories:</c> → <c>- story:</c> with <c>steps:</c> of <c>user</c>/<c>intent</c> and
/// end-to-end <c>bot</c> turns) from data/chat/tests, with this project's additions: <c>metadata</c> fixtures,
/// <c>buttons</c> on a bot step and <c>check</c> steps.
/// </summary>
public static class StoryFiles
{
    /// <summary>Where the test project's build copies data/chat/tests.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "ChatStories");

    public static readonly IReadOnlySet<string> Languages = new HashSet<string>(StringComparer.Ordinal) { "en", "da" };
    public static readonly IReadOnlySet<string> Channels = new HashSet<string>(StringComparer.Ordinal) { "rest", "telegram", "whatsapp" };
    public static readonly IReadOnlySet<string> Drivers = new HashSet<string>(StringComparer.Ordinal) { "anonymous", "signed_in", "declined_card" };

    private static readonly Lazy<IReadOnlyList<ChatStory>> Loaded = new(() => LoadAll(Directory));

    public static IReadOnlyList<ChatStory> All => Loaded.Value;

    public static IReadOnlyList<ChatStory> LoadAll(string directory)
    {
        var files = System.IO.Directory.GetFiles(directory, "*.yml").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new StoryFormatException($"no story files in {directory}");
        var stories = files.SelectMany(f => Read(Path.GetFileName(f), File.ReadAllText(f))).ToList();
        var twice = stories.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new StoryFormatException($"two stories are called '{twice.Key}'");
        return stories;
    }

    public static IReadOnlyList<ChatStory> Read(string file, string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new StoryFormatException($"{file} line {e.Start.Line}: not valid YAML ({e.Message})");
        }
        if (stream.Documents is not [{ RootNode: YamlMappingNode root }] || Child(root, "stories") is not YamlSequenceNode stories)
            throw new StoryFormatException($"{file}: needs a 'stories:' list");
        return stories.Select(node => Story(file, node)).ToList();
    }

    private static ChatStory Story(string file, YamlNode node)
    {
        if (node is not YamlMappingNode story || Scalar(story, "story") is not { Length: > 0 } name)
            throw Error(file, node, "each item of 'stories' needs a 'story:' name");
        if (Child(story, "steps") is not YamlSequenceNode { Children.Count: > 0 } steps) throw Error(file, story, $"story '{name}' has no steps");
        var parsed = steps.Select(s => Step(file, s)).ToList();
        if (parsed[0] is not UserStep) throw Error(file, steps[0], "a story starts with a user message");
        return new ChatStory(file, name, (int)story.Start.Line, Fixtures(file, Child(story, "metadata")), parsed);
    }

    private static StoryFixtures Fixtures(string file, YamlNode? node)
    {
        if (node is null) return new StoryFixtures("en", "rest", "anonymous", false, [], 0, false);
        if (node is not YamlMappingNode metadata) throw Error(file, node, "'metadata' must be a mapping");
        var known = new HashSet<string>(StringComparer.Ordinal) { "language", "channel", "driver", "lot", "sessions", "bookings", "other_driver" };
        foreach (var key in metadata.Children.Keys)
            if (key is not YamlScalarNode { Value: { } k } || !known.Contains(k)) throw Error(file, key, $"unknown metadata '{key}' (known: {string.Join(", ", known)})");
        var language = OneOf(file, metadata, "language", Languages, "en");
        var channel = OneOf(file, metadata, "channel", Channels, "rest");
        var driver = OneOf(file, metadata, "driver", Drivers, "anonymous");
        var lot = Flag(file, metadata, "lot");
        var sessions = Child(metadata, "sessions") switch
        {
            null => [],
            YamlSequenceNode plates => plates.Select(p => p is YamlScalarNode { Value: { Length: > 0 } plate } ? plate : throw Error(file, p, "a session is its number plate")).ToList(),
            var other => throw Error(file, other, "'sessions' is a list of number plates"),
        };
        var bookings = Scalar(metadata, "bookings") is { } count ? int.TryParse(count, out var n) && n is >= 0 and <= 5 ? n
            : throw Error(file, metadata, "'bookings' is a number from 0 to 5") : 0;
        var otherDriver = Flag(file, metadata, "other_driver");
        if ((sessions.Count > 0 || bookings > 0 || otherDriver) && !lot) throw Error(file, metadata, "sessions, bookings and other_driver are at the story's lot: add 'lot: true'");
        if ((sessions.Count > 0 || bookings > 0) && driver == "anonymous") throw Error(file, metadata, "sessions and bookings belong to the story's driver: set 'driver'");
        return new StoryFixtures(language, channel, driver, lot, sessions, bookings, otherDriver);
    }

    private static StoryStep Step(string file, YamlNode node)
    {
        if (node is not YamlMappingNode step) throw Error(file, node, "a step is a mapping (user, bot or check)");
        var line = (int)step.Start.Line;
        if (Child(step, "user") is { } user)
        {
            // A block scalar ("user: |") ends in a line break that is not part of the message.
            var text = user is YamlScalarNode { Value: { } value } ? value.TrimEnd('\n') : throw Error(file, user, "'user' is the message text");
            return new UserStep(line, text, Scalar(step, "intent"));
        }
        if (Child(step, "bot") is { } bot)
        {
            var expected = bot is YamlScalarNode { Value: { Length: > 0 } value } ? value.TrimEnd('\n') : throw Error(file, bot, "'bot' is the text the reply contains, or /a regex/");
            var buttons = Child(step, "buttons") switch
            {
                null => null,
                YamlSequenceNode list => list.Select(b => b is YamlScalarNode { Value: { Length: > 0 } p } ? p : throw Error(file, b, "a button is its payload")).ToList(),
                var other => throw Error(file, other, "'buttons' is a list of payloads"),
            };
            return new BotStep(line, expected, buttons);
        }
        if (Scalar(step, "check") is { Length: > 0 } fact)
            return StoryFacts.Known.Contains(fact) ? new CheckStep(line, fact) : throw Error(file, step, $"unknown check '{fact}' (known: {string.Join(", ", StoryFacts.Known)})");
        throw Error(file, step, "a step needs 'user', 'bot' or 'check'");
    }

    private static string OneOf(string file, YamlMappingNode map, string key, IReadOnlySet<string> allowed, string otherwise) =>
        Scalar(map, key) is not { } value ? otherwise
        : allowed.Contains(value) ? value
        : throw Error(file, map, $"'{key}' is one of {string.Join(", ", allowed)}, not '{value}'");

    private static bool Flag(string file, YamlMappingNode map, string key) => Scalar(map, key) switch
    {
        null or "false" => false,
        "true" => true,
        var other => throw Error(file, map, $"'{key}' is true or false, not '{other}'"),
    };

    private static YamlNode? Child(YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlMappingNode map, string key) => Child(map, key) is YamlScalarNode { Value: { } value } ? value.Trim() : null;

    private static StoryFormatException Error(string file, YamlNode node, string message) => new($"{file} line {node.Start.Line}: {message}");
}
