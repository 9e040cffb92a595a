using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Mqtt;

/// <summary>The transport as the real mosquitto_pub and mosquitto_sub clients (MQTT 3.1.1) see it.</summary>
public sealed class MosquittoClientTests(MqttFactory factory) : IClassFixture<MqttFactory>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private int Port => factory.MqttPort;

    [Theory]
    [InlineData(1, "received PUBACK")]
    [InlineData(2, "received PUBCOMP")]
    public async Task Publish_AcknowledgedQoS_ClientExitsOnlyAfterTheGatewayAccepted(int qos, string acknowledgement)
    {
        var device = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Pub(Port, device, device.Topic(), $"{{\"occupied\":true,\"qos\":{qos}}}", qos);

        (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        pub.Output.ShouldContain(acknowledgement);
        // No polling: the acknowledgement that let the client exit is only sent after acceptance.
        var accepted = factory.Gateway.AcceptedFrom(device.Serial).ShouldHaveSingleItem();
        accepted.Topic.ShouldBe(device.Topic());
        accepted.Payload.ShouldBe($"{{\"occupied\":true,\"qos\":{qos}}}");
    }

    [Fact]
    public async Task Publish_QoS0_GatewayReceivesIt()
    {
        var device = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Pub(Port, device, device.Topic("heartbeat"), "alive", 0);

        (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        // QoS 0 has no acknowledgement: the client may be gone before the gateway has the message.
        var accepted = await Poll.UntilAsync(() => Task.FromResult(factory.Gateway.AcceptedFrom(device.Serial)), a => a.Count > 0, Deadline, "the QoS 0 message");
        accepted.ShouldHaveSingleItem().Payload.ShouldBe("alive");
    }

    [Fact]
    public async Task Publish_QoS1WhileTheGatewayHoldsIt_PubAckWaitsForAcceptance()
    {
        var device = await factory.CreateDeviceAsync();
        using var hold = factory.Gateway.HoldPublishes(device.Serial);

        await using var pub = Mosquitto.Pub(Port, device, device.Topic(), "held", 1);
        await Poll.UntilAsync(() => Task.FromResult(factory.Gateway.WaitingAt(device.Serial)), n => n == 1, Deadline, "the PUBLISH to reach the gateway");

        // The gateway has the message but has not accepted it, so no PUBACK can have been sent: the client still waits.
        pub.HasExited.ShouldBeFalse(pub.ToString());
        pub.Output.ShouldNotContain("received PUBACK");
        factory.Gateway.AcceptedFrom(device.Serial).ShouldBeEmpty();

        hold.Release();

        (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        pub.Output.ShouldContain("received PUBACK");
        factory.Gateway.AcceptedFrom(device.Serial).ShouldHaveSingleItem().Payload.ShouldBe("held");
    }

    [Theory]
    [InlineData("wrong-secret", true, "Connection Refused: bad user name or password")]
    [InlineData(null, true, "Connection Refused: not authorised")]
    [InlineData(null, false, "Connection Refused: not authorised")]
    public async Task Connect_WrongOrMissingCredentials_RefusedWithTheMatchingConnAck(string? password, bool withUser, string expected)
    {
        var device = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Run("mosquitto_pub",
            [.. Mosquitto.Common(Port, withUser ? device.Serial : null, password), "-t", device.Topic(), "-m", "x", "-q", "1"]);

        (await pub.ExitCodeAsync()).ShouldNotBe(0, pub.ToString());
        pub.Output.ShouldContain(expected);
        factory.Gateway.AcceptedFrom(device.Serial).ShouldBeEmpty();
    }

    [Fact]
    public async Task Connect_UnknownSerial_RefusedAsBadUserNameOrPassword()
    {
        var known = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Run("mosquitto_pub",
            [.. Mosquitto.Common(Port, "NO-SUCH-SENSOR", known.Secret), "-t", "parking/sensors/NO-SUCH-SENSOR/readings", "-m", "x", "-q", "1"]);

        (await pub.ExitCodeAsync()).ShouldNotBe(0, pub.ToString());
        pub.Output.ShouldContain("Connection Refused: bad user name or password");
    }

    [Theory]
    [InlineData("mqttv31", "Connection Refused: unacceptable protocol version")]
    [InlineData("mqttv5", "Unsupported Protocol Version")]
    public async Task Connect_OtherProtocolVersion_RefusedAsUnacceptableVersion(string version, string expected)
    {
        var device = await factory.CreateDeviceAsync();

        await using var pub = Mosquitto.Run("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", $"{Port}", "-V", version, "-d", "-u", device.Serial, "-P", device.Secret, "-t", device.Topic(), "-m", "x", "-q", "1"]);

        (await pub.ExitCodeAsync()).ShouldNotBe(0, pub.ToString());
        pub.Output.ShouldContain(expected);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("/#", "")]
    [InlineData("/#", "config/led")]
    public async Task Subscribe_OwnCommandTopic_ReceivesWhatPublishToDeviceSends(string filterSuffix, string subtopic)
    {
        var device = await factory.CreateDeviceAsync();
        await using var sub = Mosquitto.Sub(Port, device, device.CommandTopic + filterSuffix, "-C", "1");

        // The subscription is registered before the SUBACK goes out, so once the client has printed it one send must reach it.
        await sub.OutputAsync(o => o.Contains("Subscribed (mid: 1): 0", StringComparison.Ordinal), "the SUBACK granting QoS 0");

        var delivered = await factory.Commands.PublishToDeviceAsync(device.Serial, subtopic, "open-gate"u8.ToArray(), CancellationToken.None);

        delivered.ShouldBe(1);
        (await sub.ExitCodeAsync()).ShouldBe(0, sub.ToString());
        var topic = subtopic.Length == 0 ? device.CommandTopic : $"{device.CommandTopic}/{subtopic}";
        sub.Output.ShouldContain($"{topic} open-gate");
    }

    [Fact]
    public async Task Subscribe_AnotherDevicesCommandTopic_RefusedWithSubAck0x80()
    {
        var device = await factory.CreateDeviceAsync();
        var other = await factory.CreateDeviceAsync();

        await using var sub = Mosquitto.Sub(Port, device, other.CommandTopic);

        await sub.ExitCodeAsync();
        sub.Output.ShouldContain("Subscribed (mid: 1): 128");
        sub.Output.ShouldContain("All subscription requests were denied");
        (await factory.Commands.PublishToDeviceAsync(other.Serial, "", "x"u8.ToArray(), CancellationToken.None)).ShouldBe(0);
    }

    [Theory]
    [InlineData("other device's topic")]
    [InlineData("unreadable payload")]
    [InlineData("larger than MaxPacketBytes")]
    public async Task Publish_NotAcceptable_ConnectionClosedWithoutPubAck(string problem)
    {
        var device = await factory.CreateDeviceAsync();
        var other = await factory.CreateDeviceAsync();
        var (topic, message) = problem switch
        {
            "other device's topic" => (other.Topic(), "x"),
            "unreadable payload" => (device.Topic(), TestMqttGateway.InvalidPayload),
            _ => (device.Topic(), new string('x', MqttFactory.MaxPacketBytes + 1)),
        };

        await using var pub = Mosquitto.Pub(Port, device, topic, message, 1);

        (await pub.ExitCodeAsync()).ShouldNotBe(0, pub.ToString());
        pub.Output.ShouldContain("The connection was lost");
        pub.Output.ShouldNotContain("received PUBACK");
        factory.Gateway.AcceptedFrom(device.Serial).ShouldBeEmpty();
    }

    [Fact]
    public async Task Http_WhileMqttListens_ServedOnTheConfiguredUrl()
    {
        // The factory configures HTTP through "urls", as ASPNETCORE_URLS or launchSettings would.
        var addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;

        addresses.ShouldContain(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        addresses.ShouldContain(a => a.EndsWith($":{Port}", StringComparison.Ordinal));
        using var client = factory.Anonymous();
        var response = await client.GetAsync("/health/live");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Metrics_AfterPublishesAndARefusal_ExportedUnderSmartParkingMqtt()
    {
        var device = await factory.CreateDeviceAsync();
        await using (var pub = Mosquitto.Pub(Port, device, device.Topic(), "m", 1)) (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        await using (var bad = Mosquitto.Run("mosquitto_pub", [.. Mosquitto.Common(Port, device.Serial, "nope"), "-t", device.Topic(), "-m", "x"]))
            await bad.ExitCodeAsync();
        using var client = factory.Anonymous();

        var text = await Poll.UntilAsync(async () => await client.GetStringAsync("/metrics"),
            t => t.Contains("smartparking_mqtt_connections_closed_total{reason=\"refused\"}", StringComparison.Ordinal), Deadline, "the MQTT metrics");

        var lines = text.Split('\n');
        lines.ShouldContain(l => l.StartsWith("smartparking_mqtt_publishes_received_total{outcome=\"accepted\",qos=\"1\"}", StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith("smartparking_mqtt_connects_refused_total{reason=\"bad_credentials\"}", StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith("smartparking_mqtt_puback_duration_seconds_bucket{qos=\"1\",le=", StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith("smartparking_mqtt_connections_active", StringComparison.Ordinal));
    }
}
