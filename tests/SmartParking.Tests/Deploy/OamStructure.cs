using System.Text.Json.Nodes;

namespace SmartParking.Tests.Deploy;

/// <summary>
/// Checks a KubeVela application and its definitions hang together, as far as can be known without a cluster: every
/// component, trait, policy and workflow step names a type that exists (built into KubeVela or defined beside it),
/// every reference between them resolves, every definition has a template, and the Kubernetes objects it carries
/// inline validate against the API schemas.
/// </summary>
public static class OamStructure
{
    private const string OamApiVersion = "core.oam.dev/v1beta1";

    // KubeVela's own types that the application may use without defining them.
    private static readonly HashSet<string> BuiltInComponents = ["webservice", "worker", "task", "k8s-objects", "ref-objects", "cron-task"];
    private static readonly HashSet<string> BuiltInTraits = ["scaler", "gateway", "hpa", "labels", "annotations", "expose", "storage", "env", "resource"];
    private static readonly HashSet<string> BuiltInPolicies = ["topology", "override", "garbage-collect", "apply-once", "shared-resource", "read-only", "take-over"];
    private static readonly HashSet<string> BuiltInSteps = ["deploy", "apply-component", "step-group", "suspend", "notification", "apply-object"];

    public static IReadOnlyList<string> Check(IReadOnlyList<JsonObject> documents)
    {
        var problems = new List<string>();
        var definitions = new Dictionary<string, HashSet<string>>
        {
            ["ComponentDefinition"] = [], ["TraitDefinition"] = [], ["PolicyDefinition"] = [], ["WorkflowStepDefinition"] = [],
        };
        foreach (var document in documents)
        {
            var kind = Text(document["kind"]);
            if (Text(document["apiVersion"]) != OamApiVersion) problems.Add($"{Manifests.Describe(document)}: apiVersion is not {OamApiVersion}");
            if (!definitions.TryGetValue(kind, out var names)) continue;
            names.Add(Text(document["metadata"]?["name"]));
            if (string.IsNullOrWhiteSpace(Text(document["spec"]?["schematic"]?["cue"]?["template"])))
                problems.Add($"{Manifests.Describe(document)}: no CUE template");
            if (kind == "TraitDefinition" && document["spec"]?["appliesToWorkloads"] is not JsonArray { Count: > 0 })
                problems.Add($"{Manifests.Describe(document)}: appliesToWorkloads is empty");
        }

        var applications = documents.Where(d => Text(d["kind"]) == "Application").ToList();
        if (applications.Count == 0) problems.Add("no Application");
        foreach (var application in applications)
            problems.AddRange(CheckApplication(application, definitions));
        return problems;
    }

    private static IEnumerable<string> CheckApplication(JsonObject application, Dictionary<string, HashSet<string>> definitions)
    {
        var app = Manifests.Describe(application);
        var components = Array(application["spec"]?["components"]);
        var componentNames = components.Select(c => Text(c["name"])).ToList();
        foreach (var duplicate in componentNames.GroupBy(n => n).Where(g => g.Count() > 1))
            yield return $"{app}: component {duplicate.Key} is declared twice";

        foreach (var component in components)
        {
            var name = Text(component["name"]);
            var type = Text(component["type"]);
            if (!BuiltInComponents.Contains(type) && !definitions["ComponentDefinition"].Contains(type))
                yield return $"{app} component {name}: type {type} is neither built in nor defined";
            foreach (var dependency in Strings(component["dependsOn"]).Where(d => !componentNames.Contains(d)))
                yield return $"{app} component {name}: dependsOn {dependency}, which is not a component";
            foreach (var trait in Array(component["traits"]).Select(t => Text(t["type"])))
                if (!BuiltInTraits.Contains(trait) && !definitions["TraitDefinition"].Contains(trait))
                    yield return $"{app} component {name}: trait {trait} is neither built in nor defined";
            if (component["properties"]?["image"] is { } image && ManifestPolicy.ImageProblem(Text(image)) is { } imageProblem)
                yield return $"{app} component {name}: {imageProblem}";
            if (type == "k8s-objects")
                foreach (var error in Array(component["properties"]?["objects"]).SelectMany(KubernetesSchemas.Validate))
                    yield return $"{app} component {name}: {error}";
        }

        var policies = Array(application["spec"]?["policies"]);
        var policyNames = policies.Select(p => Text(p["name"])).ToHashSet();
        foreach (var policy in policies)
        {
            var type = Text(policy["type"]);
            if (!BuiltInPolicies.Contains(type) && !definitions["PolicyDefinition"].Contains(type))
                yield return $"{app} policy {policy["name"]}: type {type} is neither built in nor defined";
            foreach (var selected in Strings(policy["properties"]?["selector"]).Where(s => !componentNames.Contains(s)))
                yield return $"{app} policy {policy["name"]}: selects {selected}, which is not a component";
        }

        var steps = Array(application["spec"]?["workflow"]?["steps"]);
        foreach (var step in steps.Concat(steps.SelectMany(s => Array(s["subSteps"]))))
        {
            var type = Text(step["type"]);
            if (!BuiltInSteps.Contains(type) && !definitions["WorkflowStepDefinition"].Contains(type))
                yield return $"{app} step {step["name"]}: type {type} is neither built in nor defined";
            foreach (var policy in Strings(step["properties"]?["policies"]).Where(p => !policyNames.Contains(p)))
                yield return $"{app} step {step["name"]}: uses policy {policy}, which is not declared";
            if (type == "apply-component" && !componentNames.Contains(Text(step["properties"]?["component"])))
                yield return $"{app} step {step["name"]}: applies {step["properties"]?["component"]}, which is not a component";
        }
    }

    /// <summary>The components each deploy step applies, in workflow order (a step's override policies select them).</summary>
    public static IReadOnlyList<(string Step, IReadOnlyList<string> Components)> Stages(JsonObject application)
    {
        var selectors = Array(application["spec"]?["policies"])
            .Where(p => Text(p["type"]) == "override" && p["properties"]?["selector"] is not null)
            .ToDictionary(p => Text(p["name"]), p => Strings(p["properties"]!["selector"]).ToList());
        return Array(application["spec"]?["workflow"]?["steps"])
            .Select(step => (Text(step["name"]), (IReadOnlyList<string>)Strings(step["properties"]?["policies"])
                .SelectMany(p => selectors.GetValueOrDefault(p) ?? []).ToList()))
            .ToList();
    }

    public static IReadOnlyList<JsonObject> Array(JsonNode? node) => node is JsonArray array ? array.OfType<JsonObject>().ToList() : [];

    public static IReadOnlyList<string> Strings(JsonNode? node) => node is JsonArray array ? array.Select(Text).ToList() : [];

    public static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";
}
