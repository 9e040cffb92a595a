using System.Text.Json.Nodes;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Deploy;

/// <summary>
/// Every kustomize overlay renders, validates against the Kubernetes API schemas offline and keeps the workload rules;
/// the checkers themselves are shown to catch bad manifests.
/// </summary>
public class KubernetesManifestTests
{
    public static TheoryData<string> Overlays => new() { "base", "overlays/development", "overlays/staging", "overlays/production" };

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Renders_and_validates_against_the_API_schemas(string folder)
    {
        var documents = Manifests.Render(Path.Combine("kubernetes", folder));

        documents.ShouldNotBeEmpty();
        documents.SelectMany(KubernetesSchemas.Validate).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_workload_keeps_the_rules(string folder)
    {
        ManifestPolicy.Check(Manifests.Render(Path.Combine("kubernetes", folder))).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("overlays/development")]
    [InlineData("overlays/staging")]
    [InlineData("overlays/production")]
    public void Each_role_has_its_deployment_service_autoscaler_and_disruption_budget(string folder)
    {
        var documents = Manifests.Render(Path.Combine("kubernetes", folder));
        foreach (var role in new[] { "api", "ingest", "worker" })
        {
            var deployment = Single(documents, "Deployment", $"smartparking-{role}");
            var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
            container["args"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["--role", role]);
            foreach (var probe in new[] { ("startupProbe", "/health/startup"), ("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live") })
                container[probe.Item1]!["httpGet"]!["path"]!.GetValue<string>().ShouldBe(probe.Item2);
            Single(documents, "Service", $"smartparking-{role}");
            Single(documents, "PodDisruptionBudget", $"smartparking-{role}");

            var metrics = Single(documents, "HorizontalPodAutoscaler", $"smartparking-{role}")["spec"]!["metrics"]!.AsArray();
            Utilization(metrics, "cpu").ShouldBe(70);
            Utilization(metrics, "memory").ShouldBe(80);
        }

        var ingestMetrics = Single(documents, "HorizontalPodAutoscaler", "smartparking-ingest")["spec"]!["metrics"]!.AsArray();
        ingestMetrics.ShouldContain(m => m!["type"]!.GetValue<string>() == "Pods"
                                         && m["pods"]!["metric"]!["name"]!.GetValue<string>() == "smartparking_ingest_queue_readings");
        Single(documents, "Service", "smartparking-ingest")["spec"]!["ports"]!.AsArray()
            .ShouldContain(p => p!["name"]!.GetValue<string>() == "mqtt" && p["port"]!.GetValue<long>() == 1883);

        var migrate = Single(documents, "Job", "smartparking-migrate");
        migrate["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["migrate"]);

        var ingress = Single(documents, "Ingress", "smartparking");
        ingress["spec"]!["tls"]!.AsArray().ShouldNotBeEmpty();
        ingress["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/affinity"]!.GetValue<string>().ShouldBe("cookie");

        documents.ShouldContain(d => d["kind"]!.GetValue<string>() == "NetworkPolicy"
                                     && d["spec"]!["podSelector"]!.AsObject().Count == 0
                                     && d["spec"]!["ingress"] == null && d["spec"]!["egress"] == null, "a deny-all NetworkPolicy");
        Single(documents, "ServiceAccount", "smartparking")["automountServiceAccountToken"]!.GetValue<bool>().ShouldBeFalse();
        Single(documents, "ConfigMap", "smartparking-grafana-dashboard")["metadata"]!["labels"]!["grafana_dashboard"]!.GetValue<string>().ShouldBe("1");
        var alerts = Single(documents, "PrometheusRule", "smartparking")["spec"]!["groups"]!.AsArray()
            .SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!["alert"]!.GetValue<string>());
        alerts.ShouldBe(["SmartParkingHighErrorRate", "SmartParkingSlowRequests", "SmartParkingInstanceDown", "SmartParkingIngestBacklog",
            "SmartParkingDatabaseUnreachable"], ignoreOrder: true);
        documents.ShouldNotContain(d => d["kind"]!.GetValue<string>() == "Secret", "secrets are created by the operator, not kept here");
    }

    [Fact]
    public void Every_alert_links_a_runbook_heading_in_the_operations_guide()
    {
        var headings = File.ReadAllLines(Path.Combine(RepoPaths.Root, "docs", "operations.md"))
            .Where(l => l.StartsWith('#'))
            .Select(l => "docs/operations.md#" + GitHubAnchor(l.TrimStart('#').Trim()))
            .ToHashSet();
        var rules = Single(Manifests.Render(Path.Combine("kubernetes", "base")), "PrometheusRule", "smartparking")["spec"]!["groups"]!.AsArray()
            .SelectMany(g => g!["rules"]!.AsArray()).ToList();

        rules.Count.ShouldBe(5);
        foreach (var rule in rules)
            headings.ShouldContain(rule!["annotations"]!["runbook"]!.GetValue<string>(), rule["alert"]!.GetValue<string>());
    }

    /// <summary>How GitHub names a heading's anchor: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static string GitHubAnchor(string heading) =>
        new string(heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-');

    [Fact]
    public void The_schema_check_catches_a_misspelt_field_and_a_wrong_type()
    {
        var errors = KubernetesSchemas.Validate(Manifests.Parse(BadDeployment)[0]);

        errors.ShouldContain("Deployment/bad at /spec/replicas: Value is \"string\" but should be \"integer\"");
        errors.ShouldContain("Deployment/bad at /spec/template/spec/containers/0/livenesProbe: All values fail against the false schema");
        errors.ShouldContain(e => e.StartsWith("Deployment/bad at /spec/template/spec/containers/0/resources/limits/memory: ", StringComparison.Ordinal));
        errors.ShouldNotContain(e => e.Contains("/requests/", StringComparison.Ordinal), "valid quantities pass");
    }

    [Fact]
    public void The_schema_check_knows_no_kind_it_has_no_schema_for()
    {
        var unknown = Manifests.Parse("apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g\n")[0];

        KubernetesSchemas.Validate(unknown).ShouldHaveSingleItem().ShouldContain("no schema for example.org/v1/Gadget");
    }

    [Fact]
    public void The_policy_check_names_each_broken_rule()
    {
        var violations = ManifestPolicy.Check(Manifests.Parse(BadDeployment));

        violations.ShouldContain("Deployment/bad container web: no cpu limit");
        violations.ShouldContain("Deployment/bad container web: no readiness probe");
        violations.ShouldContain("Deployment/bad container web: no liveness probe");
        violations.ShouldContain("Deployment/bad container web: runAsNonRoot is not true");
        violations.ShouldContain("Deployment/bad container web: readOnlyRootFilesystem is not true");
        violations.ShouldContain("Deployment/bad container web: allowPrivilegeEscalation is not false");
        violations.ShouldContain("Deployment/bad container web: capabilities do not drop ALL");
        violations.ShouldContain("Deployment/bad container web: image nginx:latest uses the latest tag");
        violations.ShouldContain("Deployment/bad container sidecar: image registry.example.org:5000/tools/sidecar has no tag");
        violations.ShouldContain("Deployment/bad: automountServiceAccountToken must be false (the pods do not call the Kubernetes API)");
        violations.ShouldContain("Secret/leaked: holds secret values; reference a Secret created outside the repository");
    }

    [Theory]
    [InlineData("registry.example.org/smartparking/server:0.1.0", null)]
    [InlineData("registry.example.org:5000/smartparking/server:1.2", null)]
    [InlineData("smartparking/server@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", null)]
    [InlineData("registry.example.org:5000/smartparking/server", "has no tag")]
    [InlineData("postgres:latest", "uses the latest tag")]
    public void Images_must_name_a_version(string image, string? problem)
    {
        var found = ManifestPolicy.ImageProblem(image);

        if (problem is null) found.ShouldBeNull();
        else found.ShouldNotBeNull().ShouldContain(problem);
    }

    [Fact]
    public void A_missing_kubectl_fails_with_a_clear_message()
    {
        var error = Should.Throw<InvalidOperationException>(() => Manifests.Render("kubernetes/base", "/nonexistent/kubectl"));

        error.Message.ShouldStartWith("kubectl is needed to render the manifests under deploy/");
    }

    private static JsonObject Single(IReadOnlyList<JsonObject> documents, string kind, string name) =>
        documents.Where(d => d["kind"]!.GetValue<string>() == kind && d["metadata"]!["name"]!.GetValue<string>() == name)
            .ShouldHaveSingleItem($"one {kind} named {name}");

    private static long Utilization(JsonArray metrics, string resource) =>
        metrics.Single(m => m!["type"]!.GetValue<string>() == "Resource" && m["resource"]!["name"]!.GetValue<string>() == resource)!
            ["resource"]!["target"]!["averageUtilization"]!.GetValue<long>();

    private const string BadDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: bad
        spec:
          replicas: two
          selector:
            matchLabels:
              app: bad
          template:
            metadata:
              labels:
                app: bad
            spec:
              containers:
                - name: web
                  image: nginx:latest
                  livenesProbe:
                    httpGet:
                      path: /
                      port: 80
                  resources:
                    limits:
                      memory: lots
                    requests:
                      cpu: 100m
                      memory: 64Mi
                - name: sidecar
                  image: registry.example.org:5000/tools/sidecar
                  resources:
                    limits: {cpu: "1", memory: 1Gi}
                    requests: {cpu: 10m, memory: 16Mi}
                  readinessProbe:
                    tcpSocket:
                      port: 9000
                  livenessProbe:
                    tcpSocket:
                      port: 9000
                  securityContext:
                    runAsNonRoot: true
                    readOnlyRootFilesystem: true
                    allowPrivilegeEscalation: false
                    capabilities:
                      drop: [ALL]
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: leaked
        stringData:
          password: hunter2
        """;
}
