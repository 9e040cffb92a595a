using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SmartParking.Server.Modules.Chat.Nlu;

/// <summary>Training data that cannot be read, with the file and line at fault.</summary>
public sealed class NluDataException(string message) : Exception(message);

/// <summary>
/// Reads Rasa 3 NLU YAML (<c>nlu:</c> items of <c>intent</c>, <c>synonym</c>, <c>lookup</c> and <c>regex</c>, each with
/// <c>examples</c> as a "- " list in a block string or a YAML list) so a team that knows Rasa can edit the assistant's data.
/// Entity annotations: <c>[Dokk1](location)</c>, the older <c>[charger](space_type:ev)</c>, and
/// <c>[charger]{"entity": "space_type", "value": "ev"}</c>; an annotation whose value differs from its text is also a synonym,
/// as in Rasa. Other top-level keys (stories, rules, responses) are ignored, so a whole Rasa project file can be given.
/// </summary>
public static partial class RasaNluYaml
{
    /// <summary>
    /// A regex of the data, with a 50 ms limit per message against patterns that backtrack without end. It is run once
    /// here, so that compiling its code is done before the first message and never counts against that limit (on a busy
    /// node it did, and the first message's match timed out).
    /// </summary>
    private static Regex DataRegex(string pattern)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Compiled, TimeSpan.FromMilliseconds(50));
        try { regex.IsMatch("warm up 12345"); }
        catch (RegexMatchTimeoutException) { }
        return regex;
    }

    [GeneratedRegex(@"\[(?<text>[^\[\]]+)\](?:\((?<spec>[^()]+)\)|(?<json>\{[^{}]*\}))")]
    private static partial Regex Annotation();

    /// <summary>What is left of an annotation that did not parse: "[text](" or "]{" after stripping the good ones.</summary>
    [GeneratedRegex(@"\]\s*[({]|\[[^\]]*$")]
    private static partial Regex Unclosed();

    public static NluTrainingData Read(IEnumerable<(string Source, string Yaml)> files)
    {
        var examples = new List<NluExample>();
        var synonyms = new Dictionary<string, string>(StringComparer.Ordinal);
        var lookups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var regexes = new List<NluRegex>();
        foreach (var (source, yaml) in files) ReadFile(source, yaml, examples, synonyms, lookups, regexes);
        if (examples.Count == 0) throw new NluDataException("the training data has no intent examples");
        return new NluTrainingData(examples, synonyms, lookups.ToDictionary(l => l.Key, l => (IReadOnlyList<string>)l.Value), regexes);
    }

    private static void ReadFile(string source, string yaml, List<NluExample> examples, Dictionary<string, string> synonyms,
        Dictionary<string, List<string>> lookups, List<NluRegex> regexes)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new NluDataException($"{source} line {e.Start.Line}: not valid YAML ({e.Message})");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return;
        if (!root.Children.TryGetValue(new YamlScalarNode("nlu"), out var nlu)) return;
        if (nlu is not YamlSequenceNode items) throw Error(source, nlu, "'nlu' must be a list");
        foreach (var node in items)
        {
            if (node is not YamlMappingNode item) throw Error(source, node, "each 'nlu' item must be a mapping");
            var (kind, name) = Kind(source, item);
            var lines = ExampleLines(source, item);
            switch (kind)
            {
                case "intent":
                    foreach (var (text, line) in lines) examples.Add(Example(name, text, $"{source} line {line}", synonyms));
                    break;
                case "synonym":
                    foreach (var (text, _) in lines) synonyms[NluText.Fold(text)] = name;
                    synonyms[NluText.Fold(name)] = name;
                    break;
                case "lookup":
                    if (!lookups.TryGetValue(name, out var values)) lookups[name] = values = [];
                    values.AddRange(lines.Select(l => l.Text));
                    break;
                case "regex":
                    foreach (var (text, line) in lines)
                    {
                        try
                        {
                            regexes.Add(new NluRegex(name, DataRegex(text)));
                        }
                        catch (ArgumentException e)
                        {
                            throw new NluDataException($"{source} line {line}: regex '{text}' is not valid ({e.Message})");
                        }
                    }
                    break;
            }
        }
    }

    private static (string Kind, string Name) Kind(string source, YamlMappingNode item)
    {
        foreach (var kind in (string[])["intent", "synonym", "lookup", "regex"])
            if (item.Children.TryGetValue(new YamlScalarNode(kind), out var value))
                return value is YamlScalarNode { Value: { Length: > 0 } name }
                    ? (kind, name.Trim())
                    : throw Error(source, value, $"'{kind}' needs a name");
        throw Error(source, item, "an 'nlu' item needs one of intent, synonym, lookup or regex");
    }

    private static List<(string Text, long Line)> ExampleLines(string source, YamlMappingNode item)
    {
        if (!item.Children.TryGetValue(new YamlScalarNode("examples"), out var node)) throw Error(source, item, "the item has no 'examples'");
        var lines = new List<(string, long)>();
        switch (node)
        {
            case YamlScalarNode { Value: { } block }:
                // A literal block starts on the line after "examples: |".
                var first = node.Start.Line + (node is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded } ? 1 : 0);
                var i = 0;
                foreach (var raw in block.Split('\n'))
                {
                    var line = raw.Trim();
                    if (line.Length > 0)
                    {
                        if (!line.StartsWith('-')) throw new NluDataException($"{source} line {first + i}: an example must start with '- '");
                        var text = line[1..].Trim();
                        if (text.Length > 0) lines.Add((text, first + i));
                    }
                    i++;
                }
                break;
            case YamlSequenceNode list:
                foreach (var entry in list)
                    if (entry is YamlScalarNode { Value: { Length: > 0 } text }) lines.Add((text.Trim(), entry.Start.Line));
                    else throw Error(source, entry, "an example must be text");
                break;
            default:
                throw Error(source, node, "'examples' must be a block of '- ' lines or a list");
        }
        return lines;
    }

    /// <summary>Strips the annotations from an example, keeping each entity's span in the plain text.</summary>
    public static NluExample Example(string intent, string annotated, string source, Dictionary<string, string>? synonyms = null)
    {
        var plain = new StringBuilder(annotated.Length);
        var entities = new List<ExtractedEntity>();
        var at = 0;
        foreach (Match m in Annotation().Matches(annotated))
        {
            plain.Append(annotated, at, m.Index - at);
            var text = m.Groups["text"].Value;
            var (entity, value) = m.Groups["json"].Success ? FromJson(m.Groups["json"].Value, source) : FromSpec(m.Groups["spec"].Value);
            if (entity.Length == 0) throw new NluDataException($"{source}: the annotation '{m.Value}' names no entity");
            var start = plain.Length;
            plain.Append(text);
            if (value is not null && synonyms is not null) synonyms[NluText.Fold(text)] = value;
            entities.Add(new ExtractedEntity(entity, value ?? text, start, plain.Length, "annotation"));
            at = m.Index + m.Length;
        }
        plain.Append(annotated, at, annotated.Length - at);
        var result = plain.ToString();
        if (Unclosed().IsMatch(result))
            throw new NluDataException($"{source}: an annotation in '{annotated}' is not closed");
        return new NluExample(intent, result, entities, source);
    }

    private static (string Entity, string? Value) FromSpec(string spec)
    {
        var colon = spec.IndexOf(':');
        return colon < 0 ? (spec.Trim(), null) : (spec[..colon].Trim(), spec[(colon + 1)..].Trim());
    }

    private static (string Entity, string? Value) FromJson(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var entity = doc.RootElement.TryGetProperty("entity", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
            var value = doc.RootElement.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return (entity.Trim(), value?.Trim());
        }
        catch (JsonException e)
        {
            throw new NluDataException($"{source}: the annotation {json} is not valid JSON ({e.Message})");
        }
    }

    private static NluDataException Error(string source, YamlNode node, string message) =>
        new($"{source} line {node.Start.Line}: {message}");
}
