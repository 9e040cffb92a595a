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
        OutputFormat = OutputFormat.List,
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
        if (result.IsValid) return [];
        return (result.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{Manifests.Describe(document)} at {d.InstanceLocation}: {e.Value}"))
            .Distinct()
            .ToList();
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
