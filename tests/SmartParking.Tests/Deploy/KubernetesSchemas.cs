extern alias JsonSchemaNet;

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using JsonSchemaNet::Json.Schema;

namespace SmartParking.Tests.Deploy;

/// <summary>
/// Validates manifests against the Kubernetes API schemas vendored in deploy/schemas/kubernetes.json (see its README),
/// with no cluster and no network. A kind the bundle does not have is an error, not a pass.
/// </summary>
public static class KubernetesSchemas
{
    private static readonly Lazy<JsonObject> Bundle = new(() =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Manifests.DeployDirectory, "schemas", "kubernetes.json")))!);

    private static readonly ConcurrentDictionary<string, JsonSchema> ByKind = new();

    private static readonly EvaluationOptions Options = new()
    {
        OutputFormat = OutputFormat.Hierarchical,
        RequireFormatValidation = true,
    };

    static KubernetesSchemas()
    {
        // Kubernetes' resource quantities ("250m", "1Gi", "0.5"), as apimachinery parses them.
        Formats.Register(new RegexFormat("quantity", @"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$"));
    }

    public static IReadOnlyCollection<string> Kinds => Bundle.Value["kinds"]!.AsObject().Select(k => k.Key).ToList();

    /// <summary>Every way the document breaks its kind's schema, as "Kind/name at /json/pointer: message".</summary>
    public static IReadOnlyList<string> Validate(JsonObject document)
    {
        var key = $"{document["apiVersion"]}/{document["kind"]}";
        if (Bundle.Value["kinds"]![key] is not { } definition)
            return [$"{Manifests.Describe(document)}: no schema for {key} in deploy/schemas/kubernetes.json"];
        var schema = ByKind.GetOrAdd(key, _ => SchemaFor(definition.GetValue<string>()));
        var result = schema.Evaluate(document, Options);
        return Failures(result).Select(f => $"{Manifests.Describe(document)} at {f.Location}: {f.Message}").Distinct().ToList();
    }

    /// <summary>
    /// The errors of the failing parts only: a passing subschema's inner failures (the other branches of a oneOf that
    /// matched) say nothing, and neither do the "or null" branches the API schemas put beside every object.
    /// </summary>
    private static IEnumerable<(string Location, string Message)> Failures(EvaluationResults result)
    {
        if (result.IsValid) yield break;
        foreach (var (_, message) in result.Errors ?? new Dictionary<string, string>())
            if (!message.Contains("should be \"null\"", StringComparison.Ordinal) && !message.StartsWith("Expected 1 matching subschema", StringComparison.Ordinal))
                yield return (result.InstanceLocation.ToString(), message);
        foreach (var failure in (result.Details ?? []).SelectMany(Failures))
            yield return failure;
    }

    private static JsonSchema SchemaFor(string definition)
    {
        var root = (JsonObject)Bundle.Value.DeepClone();
        root.Remove("kinds");
        root["$id"] = $"https://smartparking.invalid/schemas/{definition}";
        root["$ref"] = $"#/$defs/{definition}";
        return JsonSchema.FromText(root.ToJsonString());
    }
}
