using System.Text.Json.Nodes;

namespace SmartParking.Tests.Deploy;

/// <summary>The OAM/KubeVela application under deploy/oam renders and hangs together, in the specification's shape.</summary>
public class OamManifestTests
{
    private static readonly Lazy<IReadOnlyList<JsonObject>> Rendered = new(() => Manifests.Render("oam"));

    private static JsonObject Application => Rendered.Value.Single(d => OamStructure.Text(d["kind"]) == "Application");

    [Fact]
    public void Renders_and_every_reference_resolves()
    {
        OamStructure.Check(Rendered.Value).ShouldBeEmpty();
    }

    [Fact]
    public void Deploys_infrastructure_then_backend_then_interfaces()
    {
        var stages = OamStructure.Stages(Application);

        stages.Select(s => s.Step).ShouldBe(["infrastructure", "backend", "interfaces"]);
        stages[0].Components.ShouldBe(["postgres", "network-policies", "config", "migration"], ignoreOrder: true);
        stages[1].Components.ShouldBe(["worker", "ingest"], ignoreOrder: true);
        stages[2].Components.ShouldBe(["api"]);
        var components = OamStructure.Array(Application["spec"]!["components"]).Select(c => OamStructure.Text(c["name"]));
        stages.SelectMany(s => s.Components).ShouldBe(components, ignoreOrder: true, "each component is deployed by exactly one stage");
    }

    [Fact]
    public void Each_role_runs_locked_down_monitored_and_scaled()
    {
        var components = OamStructure.Array(Application["spec"]!["components"]).ToDictionary(c => OamStructure.Text(c["name"]));
        foreach (var role in new[] { "api", "ingest", "worker" })
        {
            components[role]["properties"]!["role"]!.GetValue<string>().ShouldBe(role);
            Traits(components[role]).ShouldContain("security");
            Traits(components[role]).ShouldContain("monitoring");
            Traits(components[role]).ShouldContain("smartparking-scaler");
        }
        Traits(components["migration"]).ShouldContain("security");
        Traits(components["api"]).ShouldContain("https-gateway");
        Traits(components["api"]).ShouldContain("circuit-breaker");
        Traits(components["ingest"]).ShouldContain("circuit-breaker");
        OamStructure.Text(components["postgres"]["type"]).ShouldBe("managed-postgres");

        var ingestScaler = OamStructure.Array(components["ingest"]["traits"]).Single(t => OamStructure.Text(t["type"]) == "smartparking-scaler");
        OamStructure.Text(ingestScaler["properties"]!["podMetrics"]![0]!["name"]).ShouldBe("smartparking_ingest_queue_readings");
    }

    [Fact]
    public void The_check_finds_unknown_types_and_dangling_references()
    {
        var broken = Manifests.Parse("""
            apiVersion: core.oam.dev/v1beta1
            kind: Application
            metadata:
              name: broken
            spec:
              components:
                - name: web
                  type: webservice
                  dependsOn: [db]
                  properties:
                    image: example/web:latest
                  traits:
                    - type: teleport
              policies:
                - name: only-web
                  type: override
                  properties:
                    selector: [web, cache]
              workflow:
                steps:
                  - name: go
                    type: deploy
                    properties:
                      policies: [only-web, everywhere]
            """);

        OamStructure.Check(broken).ShouldBe([
            "Application/broken component web: dependsOn db, which is not a component",
            "Application/broken component web: trait teleport is neither built in nor defined",
            "Application/broken component web: image example/web:latest uses the latest tag",
            "Application/broken policy only-web: selects cache, which is not a component",
            "Application/broken step go: uses policy everywhere, which is not declared",
        ], ignoreOrder: true);
    }

    private static IReadOnlyList<string> Traits(JsonObject component) =>
        OamStructure.Array(component["traits"]).Select(t => OamStructure.Text(t["type"])).ToList();
}
