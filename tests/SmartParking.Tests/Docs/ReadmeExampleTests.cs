using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Docs;

/// <summary>A server with the README's sensors: PK-0001 and PK-0002 on spaces of one lot, A1 known to FIWARE by its URN, and a gateway key.</summary>
public sealed class ReadmeFactory : ManageFactory
{
    public const string SpotUrn = "urn:ngsi-ld:ParkingSpot:harbour-garage:A1";

    public string GatewayKey { get; private set; } = "";
    public string DeviceSecret { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var op = OperatorClient();
        var lotId = (await op.CreateLotAsync()).Id();
        var a1 = Payloads.Space("A1");
        a1["externalId"] = SpotUrn;
        DeviceSecret = (await op.CreateSensorAsync(Payloads.Sensor("PK-0001", spaceId: (await op.CreateSpaceAsync(lotId, a1)).Id()))).Str("deviceSecret");
        await op.CreateSensorAsync(Payloads.Sensor("PK-0002", spaceId: (await op.CreateSpaceAsync(lotId, Payloads.Space("A2"))).Id()));
        GatewayKey = (await op.CreateGatewayAsync()).Key;
    }
}

/// <summary>
/// The README's "Sending readings" examples, as marked there (<c>&lt;!-- readme-example: name --&gt;</c> before a fenced
/// block), sent to the real endpoints and the MQTT gateway, so the README cannot drift from what the server accepts.
/// </summary>
public sealed partial class ReadmeExampleTests(ReadmeFactory factory) : IClassFixture<ReadmeFactory>
{
    private static readonly Dictionary<string, string> Examples = ReadExamples();

    private static Dictionary<string, string> ReadExamples()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "SmartParking.slnx"))) directory = directory.Parent ?? throw new FileNotFoundException("No SmartParking.slnx above the test binaries.");
        var readme = File.ReadAllText(Path.Combine(directory.FullName, "README.md")).ReplaceLineEndings("\n");
        return ExampleBlock().Matches(readme).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["body"].Value);
    }

    [GeneratedRegex(@"<!-- readme-example: (?<name>[\w-]+) -->\n```\w*\n(?<body>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex ExampleBlock();

    private static string Example(string name) => Examples.TryGetValue(name, out var block) ? block : throw new KeyNotFoundException($"README has no example marked '{name}'.");

    /// <summary>The body a shell command sends: its here-document or its single-quoted -d/-m argument, with $NOW as the shell would fill it in.</summary>
    private static string Payload(string command)
    {
        var match = Regex.Match(command, @"<<EOF\n(?<body>.*?)\nEOF", RegexOptions.Singleline) is { Success: true } heredoc ? heredoc
            : Regex.Match(command, @" -[dm] '(?<body>[^']*)'");
        match.Success.ShouldBeTrue($"no body in: {command}");
        // Each example as if run a second apart: the same sensor, status and time twice is a duplicate, not a second reading.
        var now = DateTimeOffset.UtcNow.AddMinutes(-1).AddSeconds(-Interlocked.Increment(ref _filled));
        return match.Groups["body"].Value.Replace("$NOW", now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    private static int _filled;

    private static string Argument(string command, string flag) =>
        Regex.Match(command, $@" {Regex.Escape(flag)} (?<value>\S+)") is { Success: true } m ? m.Groups["value"].Value : throw new InvalidOperationException($"no {flag} in: {command}");

    /// <summary>The command's URL path and Content-Type.</summary>
    private static (string Path, string ContentType) Request(string command) =>
        (Regex.Match(command, @"http://localhost:5080(?<path>/\S+)").Groups["path"].Value, Regex.Match(command, @"Content-Type: (?<type>[\w/+.-]+)").Groups["type"].Value);

    [Theory]
    [InlineData("mqtt-status")]
    [InlineData("mqtt-heartbeat")]
    public async Task MqttExample_IsAcceptedByTheDeviceGateway(string name)
    {
        var command = Example(name);
        var gateway = factory.Services.GetRequiredService<IMqttDeviceGateway>();
        var device = await gateway.AuthenticateAsync("readme", Argument(command, "-u"), Encoding.UTF8.GetBytes(factory.DeviceSecret), CancellationToken.None);
        device.ShouldNotBeNull("the example's user name is the sensor's serial");

        var result = await gateway.PublishAsync(device, Argument(command, "-t"), Encoding.UTF8.GetBytes(Payload(command)), CancellationToken.None);

        result.Outcome.ShouldBe(MqttPublishOutcome.Accepted, result.Reason);
    }

    [Fact]
    public async Task HttpBatchExample_IsAcceptedAndAnsweredAsTheReadmeShows()
    {
        var command = Example("http-batch");
        var (path, contentType) = Request(command);
        command.ShouldContain(GatewayKeys.Header);
        using var gateway = factory.GatewayClient(factory.GatewayKey);

        var response = await gateway.PostAsync(path, new StringContent(Payload(command), Encoding.UTF8, contentType));

        var answer = await response.ShouldHaveStatusAsync(HttpStatusCode.Accepted);
        JsonNode.DeepEquals(JsonNode.Parse(answer.GetRawText()), JsonNode.Parse(Example("http-batch-response")))
            .ShouldBeTrue($"the server answered {answer}");
    }

    [Fact]
    public async Task NgsiLdExample_IsStored()
    {
        var command = Example("ngsi-ld");
        var (path, contentType) = Request(command);
        command.ShouldContain(GatewayKeys.Header);
        Payload(command).ShouldContain(ReadmeFactory.SpotUrn);
        using var gateway = factory.GatewayClient(factory.GatewayKey);

        var response = await gateway.PostAsync(path, new StringContent(Payload(command), Encoding.UTF8, contentType));

        await response.ShouldHaveStatusAsync(HttpStatusCode.NoContent);
    }
}
