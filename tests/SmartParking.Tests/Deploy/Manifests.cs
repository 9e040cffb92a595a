using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SmartParking.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SmartParking.Tests.Deploy;

/// <summary>The manifests under deploy/ as the cluster would get them: rendered by kubectl kustomize, parsed to JSON.</summary>
public static partial class Manifests
{
    public const string DefaultKubectl = "kubectl";

    public static string DeployDirectory => Path.Combine(RepoPaths.Root, "deploy");

    /// <summary>Runs <c>kubectl kustomize</c> on a folder under deploy/ and parses what it prints.</summary>
    public static IReadOnlyList<JsonObject> Render(string folderUnderDeploy, string kubectl = DefaultKubectl) =>
        Parse(Kustomize(Path.Combine(DeployDirectory, folderUnderDeploy), kubectl));

    public static string Kustomize(string directory, string kubectl = DefaultKubectl)
    {
        var start = new ProcessStartInfo(kubectl, ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{kubectl} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"kubectl is needed to render the manifests under deploy/ ('{kubectl}' could not be run: {e.Message}). " +
                "Install kubectl (https://kubernetes.io/docs/tasks/tools/) so that it is on PATH.", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl kustomize {directory} did not finish within 60 s");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"kubectl kustomize {directory} failed ({process.ExitCode}): {error.Result}");
            return output.Result;
        }
    }

    /// <summary>
    /// A stream of YAML documents as JSON, with YAML 1.2 core-schema typing: a plain scalar that reads as a number, a
    /// boolean or null is one; a quoted scalar is always a string (kustomize quotes strings that would read otherwise).
    /// </summary>
    public static IReadOnlyList<JsonObject> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents
            .Select(d => ToJson(d.RootNode))
            .OfType<JsonObject>()
            .ToList();
    }

    public static string Describe(JsonObject document) =>
        $"{document["kind"]}/{document["metadata"]?["name"]}";

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => Mapping(mapping),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"Unsupported YAML node at {node.Start}"),
    };

    /// <summary>A mapping, with YAML's merge key (<c>&lt;&lt;: *anchor</c>, as compose files use it): its own keys win.</summary>
    private static JsonObject Mapping(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            if (((YamlScalarNode)key).Value != "<<") continue;
            var sources = value is YamlSequenceNode list ? list.Children : [value];
            foreach (var source in sources.Cast<YamlMappingNode>())
                foreach (var (name, inherited) in Mapping(source))
                    result[name] = inherited?.DeepClone();
        }
        foreach (var (key, value) in mapping.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (name != "<<") result[name] = ToJson(value);
        }
        return result;
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any)) return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntegerPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return JsonValue.Create(number);
        return JsonValue.Create(value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
