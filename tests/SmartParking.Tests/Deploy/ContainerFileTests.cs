using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Deploy;

/// <summary>
/// What can be checked of the image and the compose stack without a container engine (the published output itself
/// runs in <see cref="PublishedServerTests"/>).
/// </summary>
public partial class ContainerFileTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile"));

    [Fact]
    public void The_image_builds_with_the_SDK_and_runs_on_the_ASP_NET_runtime_as_a_non_root_user()
    {
        var stages = FromLine().Matches(Dockerfile).Select(m => m.Groups[1].Value).ToList();

        stages.Count.ShouldBe(2);
        stages[0].ShouldStartWith("mcr.microsoft.com/dotnet/sdk:");
        stages[1].ShouldStartWith("mcr.microsoft.com/dotnet/aspnet:");
        stages.ShouldAllBe(image => ManifestPolicy.ImageProblem(image) == null);
        var runtime = Dockerfile[Dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        UserLine().Match(runtime).Groups[1].Value.ShouldBe("$APP_UID");
        runtime.ShouldContain("HEALTHCHECK");
        runtime.ShouldContain("ENTRYPOINT [\"dotnet\", \"SmartParking.Server.dll\"]");
        Dockerfile.ShouldContain("dotnet publish src/SmartParking.Server/SmartParking.Server.csproj -c Release -o /app --no-restore -p:UseAppHost=false");
    }

    [Fact]
    public void The_image_holds_no_secrets_and_points_the_server_at_its_volume()
    {
        SecretSetting().Matches(Dockerfile).ShouldBeEmpty();
        Dockerfile.ShouldContain("Database__DataDirectory=/var/lib/smartparking");
        Dockerfile.ShouldContain("VOLUME [\"/var/lib/smartparking\", \"/tmp\"]");

        var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"));
        ignored.ShouldContain("**", "the build context starts empty and names what it takes");
        ignored.ShouldContain("**/.data/");
    }

    [Fact]
    public void The_compose_stack_runs_read_only_without_secrets_in_the_file()
    {
        var compose = Manifests.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "compose.yaml"))).Single();
        var services = compose["services"]!.AsObject();

        services.Select(s => s.Key).ShouldBe(["postgres", "migrate", "server", "mosquitto"], ignoreOrder: true);
        services["mosquitto"]!["profiles"]!.AsArray().Select(p => p!.GetValue<string>()).ShouldBe(["mqtt"]);
        OamStructure.Strings(services["migrate"]!["command"]).ShouldBe(["migrate"]);
        foreach (var name in new[] { "migrate", "server" })
        {
            var service = services[name]!;
            service["read_only"]!.GetValue<bool>().ShouldBeTrue();
            OamStructure.Strings(service["cap_drop"]).ShouldBe(["ALL"]);
            var connection = service["environment"]!["ConnectionStrings__Parking"]!.GetValue<string>();
            connection.ShouldContain("Password=${POSTGRES_PASSWORD:?");
        }
        services["postgres"]!["environment"]!["POSTGRES_PASSWORD"]!.GetValue<string>().ShouldStartWith("${POSTGRES_PASSWORD:?");
        // The mqtt profile's Mosquitto is used through the external-broker settings, whose values come from the environment.
        var server = services["server"]!["environment"]!;
        server["Mqtt__ExternalBroker__Host"]!.GetValue<string>().ShouldBe("${MQTT_BROKER_HOST:-}");
        server["Mqtt__ExternalBroker__Password"]!.GetValue<string>().ShouldBe("${MQTT_BROKER_PASSWORD:-}");
        foreach (var service in services)
            ManifestPolicy.ImageProblem(OamStructure.Text(service.Value!["image"])).ShouldBeNull(service.Key);
    }

    [GeneratedRegex(@"^FROM (\S+)", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^USER (\S+)", RegexOptions.Multiline)]
    private static partial Regex UserLine();

    // A password, secret, token or key given a value in the image.
    [GeneratedRegex(@"^\s*(ENV|ARG)\b[^\n]*(password|secret|token|signingkey|apikey)[^\n]*=", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex SecretSetting();
}
