using System.Text.Json.Nodes;

namespace SmartParking.Tests.Deploy;

/// <summary>
/// The rules every workload in deploy/ keeps, beyond what the API schema says: limits, probes, a non-root and
/// read-only container with no privilege escalation and no capabilities, a pinned image, no service-account token,
/// and no secret values in the repository.
/// </summary>
public static class ManifestPolicy
{
    private static readonly HashSet<string> LongRunning = ["Deployment", "StatefulSet", "DaemonSet"];
    private static readonly HashSet<string> Workloads = [.. LongRunning, "Job", "CronJob"];

    public static IReadOnlyList<string> Check(IEnumerable<JsonObject> documents)
    {
        var violations = new List<string>();
        foreach (var document in documents)
        {
            var kind = document["kind"]?.GetValue<string>() ?? "";
            if (kind == "Secret" && (document["data"] is not null || document["stringData"] is not null))
                violations.Add($"{Manifests.Describe(document)}: holds secret values; reference a Secret created outside the repository");
            if (!Workloads.Contains(kind)) continue;
            var pod = PodSpec(document, kind);
            if (pod is null)
            {
                violations.Add($"{Manifests.Describe(document)}: no pod template");
                continue;
            }
            violations.AddRange(CheckPod(Manifests.Describe(document), pod, LongRunning.Contains(kind)));
        }
        return violations;
    }

    private static JsonObject? PodSpec(JsonObject document, string kind) => kind == "CronJob"
        ? document["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"] as JsonObject
        : document["spec"]?["template"]?["spec"] as JsonObject;

    private static IEnumerable<string> CheckPod(string workload, JsonObject pod, bool longRunning)
    {
        if (pod["automountServiceAccountToken"]?.GetValue<bool>() != false)
            yield return $"{workload}: automountServiceAccountToken must be false (the pods do not call the Kubernetes API)";
        var podNonRoot = pod["securityContext"]?["runAsNonRoot"]?.GetValue<bool>() == true;
        var containers = (pod["containers"]?.AsArray() ?? []).Concat(pod["initContainers"]?.AsArray() ?? []).OfType<JsonObject>();
        foreach (var container in containers)
        {
            var where = $"{workload} container {container["name"]}";
            foreach (var resource in new[] { "cpu", "memory" })
            {
                if (container["resources"]?["limits"]?[resource] is null) yield return $"{where}: no {resource} limit";
                if (container["resources"]?["requests"]?[resource] is null) yield return $"{where}: no {resource} request";
            }
            if (longRunning)
            {
                if (container["livenessProbe"] is null) yield return $"{where}: no liveness probe";
                if (container["readinessProbe"] is null) yield return $"{where}: no readiness probe";
            }
            var security = container["securityContext"];
            if (!(security?["runAsNonRoot"]?.GetValue<bool>() ?? podNonRoot)) yield return $"{where}: runAsNonRoot is not true";
            if (security?["runAsUser"]?.GetValue<long>() == 0) yield return $"{where}: runs as uid 0";
            if (security?["readOnlyRootFilesystem"]?.GetValue<bool>() != true) yield return $"{where}: readOnlyRootFilesystem is not true";
            if (security?["allowPrivilegeEscalation"]?.GetValue<bool>() != false) yield return $"{where}: allowPrivilegeEscalation is not false";
            if (security?["privileged"]?.GetValue<bool>() == true) yield return $"{where}: privileged";
            var dropped = security?["capabilities"]?["drop"]?.AsArray().Select(c => c?.GetValue<string>()) ?? [];
            if (!dropped.Contains("ALL")) yield return $"{where}: capabilities do not drop ALL";
            if (security?["capabilities"]?["add"]?.AsArray().Count > 0) yield return $"{where}: adds capabilities";
            if (ImageProblem(container["image"]?.GetValue<string>()) is { } problem) yield return $"{where}: {problem}";
        }
    }

    /// <summary>An image must name a version: a tag other than latest, or a digest.</summary>
    public static string? ImageProblem(string? image)
    {
        if (string.IsNullOrWhiteSpace(image)) return "no image";
        if (image.Contains("@sha256:", StringComparison.Ordinal)) return null;
        // A colon after the last slash is a tag; one before it is a registry port.
        var name = image[(image.LastIndexOf('/') + 1)..];
        var colon = name.LastIndexOf(':');
        if (colon < 0) return $"image {image} has no tag";
        return name[(colon + 1)..] == "latest" ? $"image {image} uses the latest tag" : null;
    }
}
