using System.Diagnostics;
using System.Text;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Mqtt.RawMqttClient;

namespace SmartParking.Tests.Mqtt;

/// <summary>What well-behaved clients never send, and timing rules, over a bare socket.</summary>
public sealed class RawProtocolTests(MqttFactory factory) : IClassFixture<MqttFactory>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private int Port => factory.MqttPort;

    public static TheoryData<string, byte[]> Garbage => new()
    {
        { "an HTTP request", Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") },
        { "packet type 0", [0x00, 0x00, 0x00, 0x00] },
        { "packet type 15", [0xF0, 0x00] },
        { "a five-byte remaining length", [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        { "PINGREQ before CONNECT", [0xC0, 0x00] },
        { "a CONNECT with a bad UTF-8 client id", Packet(0x10, [.. Str("MQTT"), 4, 0x02, 0, 60, .. Bytes([0xC3, 0x28])]) },
        { "random bytes", RandomBytes() },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_InsteadOfConnect_ClosedWhileAnotherClientPublishes(string what, byte[] garbage)
    {
        var device = await factory.CreateDeviceAsync();
        await using var pub = Mosquitto.Pub(Port, device, device.Topic(), what, 1);
        await using var raw = await ConnectAsync(Port);

        await raw.SendAsync(garbage);

        await raw.WaitUntilClosedAsync(Deadline);
        (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        factory.Gateway.AcceptedFrom(device.Serial).ShouldHaveSingleItem().Payload.ShouldBe(what);
    }

    [Fact]
    public async Task Garbage_AfterConnect_ClosedAndOtherSessionsUnaffected()
    {
        var device = await factory.CreateDeviceAsync();
        await using var good = await SignInAsync(Port, device, "good");
        await using var bad = await SignInAsync(Port, device, "bad");

        await bad.SendAsync([0xF0, 0x00]);

        await bad.WaitUntilClosedAsync(Deadline);
        await good.SendAsync(Publish(device.Topic(), "still here", qos: 1, packetId: 1));
        (await good.ReceiveAsync()).ShouldBe(new MqttPacketIdentifier(MqttPacketType.PubAck, 1));
    }

    [Fact]
    public async Task OversizePacket_OnlyItsHeaderSent_ClosedWithoutWaitingForTheBody()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "big");

        // A PUBLISH announcing 1,000,000 bytes; the body never comes, so only the header can have closed it.
        await raw.SendAsync([0x30, 0xC0, 0x84, 0x3D]);

        await raw.WaitUntilClosedAsync(Deadline);
        factory.Gateway.AcceptedFrom(device.Serial).ShouldBeEmpty();
    }

    [Fact]
    public async Task Connect_NothingSent_ClosedAfterTheConnectTimeout()
    {
        await using var raw = await ConnectAsync(Port);

        await raw.WaitUntilClosedAsync(TimeSpan.FromSeconds(MqttFactory.ConnectTimeoutSeconds) + Deadline);
    }

    [Fact]
    public async Task KeepAlive_OneSecondThenSilence_Closed()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "idle", keepAliveSeconds: 1);

        // Closed after 1.5 s of silence; the deadline only bounds the wait.
        await raw.WaitUntilClosedAsync(Deadline);
    }

    [Fact]
    public async Task PingReq_KeepAliveFourSeconds_AnsweredAndTheConnectionOutlivesSeveralPeriods()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "pinger", keepAliveSeconds: 4);

        // The client's own cadence: a ping every tenth of a second until one and a half times the server's 6 s limit has
        // passed (more than two keep-alive periods). Each gap the server sees is one round trip plus 0.1 s, leaving almost
        // 6 s of slack for a stalled machine: a 2 s keep-alive (3 s limit) once ran out on a CI box running the whole
        // suite, as a 1 s one had before. The delay paces the client; it is not a wait for the server.
        var pinging = Stopwatch.StartNew();
        while (pinging.Elapsed < TimeSpan.FromSeconds(1.5 * 6))
        {
            await raw.SendAsync(PingReq());
            (await raw.ReceiveAsync()).ShouldBe(MqttEmptyPacket.PingResp);
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        await raw.SendAsync(Publish(device.Topic(), "after pings", qos: 1, packetId: 9));
        (await raw.ReceiveAsync()).ShouldBe(new MqttPacketIdentifier(MqttPacketType.PubAck, 9));
    }

    [Fact]
    public async Task Connect_SecondConnectOnTheSameConnection_Closed()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "twice");

        await raw.SendAsync(Connect("twice", device.Serial, device.Secret));

        await raw.WaitUntilClosedAsync(Deadline);
    }

    [Fact]
    public async Task Connect_SameClientIdOfTheSameDevice_OldConnectionTakenOver()
    {
        var device = await factory.CreateDeviceAsync();
        await using var first = await SignInAsync(Port, device, "gateway-1");
        await first.SendAsync(Subscribe(1, device.CommandTopic));
        (await first.ReceiveAsync()).ShouldBeOfType<MqttSubAck>();

        await using var second = await SignInAsync(Port, device, "gateway-1");

        await first.WaitUntilClosedAsync(Deadline);
        await second.SendAsync(PingReq());
        (await second.ReceiveAsync()).ShouldBe(MqttEmptyPacket.PingResp);
        // The old connection's subscription went with it.
        (await factory.Commands.PublishToDeviceAsync(device.Serial, "", "x"u8.ToArray(), CancellationToken.None)).ShouldBe(0);
    }

    [Fact]
    public async Task Connect_SameClientIdOfAnotherDevice_BothStayConnected()
    {
        var one = await factory.CreateDeviceAsync();
        var two = await factory.CreateDeviceAsync();
        await using var first = await SignInAsync(Port, one, "shared-id");
        await using var second = await SignInAsync(Port, two, "shared-id");

        await first.SendAsync(PingReq());
        await second.SendAsync(PingReq());

        (await first.ReceiveAsync()).ShouldBe(MqttEmptyPacket.PingResp);
        (await second.ReceiveAsync()).ShouldBe(MqttEmptyPacket.PingResp);
    }

    [Theory]
    [InlineData("", true, (int)MqttConnectReturnCode.Accepted)]
    [InlineData("persistent-1", false, (int)MqttConnectReturnCode.Accepted)]
    [InlineData("", false, (int)MqttConnectReturnCode.IdentifierRejected)]
    [InlineData("bad\u0001id", true, (int)MqttConnectReturnCode.IdentifierRejected)]
    [InlineData("x129", true, (int)MqttConnectReturnCode.IdentifierRejected)]
    public async Task Connect_ClientIdentifierRules_AnsweredWithConnAck(string clientId, bool cleanSession, int expected)
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await ConnectAsync(Port);

        await raw.SendAsync(Connect(clientId == "x129" ? new string('x', 129) : clientId, device.Serial, device.Secret, cleanSession: cleanSession));

        // Session present is always 0: no session is ever kept, and this tells a client that asked for one.
        (await raw.ReceiveAsync()).ShouldBe(new MqttConnAck(false, (MqttConnectReturnCode)expected));
        if (expected != (int)MqttConnectReturnCode.Accepted) await raw.WaitUntilClosedAsync(Deadline);
    }

    [Fact]
    public async Task Subscribe_OwnAndForeignFilters_GrantsOnlyTheOwnAtQoS0()
    {
        var device = await factory.CreateDeviceAsync();
        var other = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "mixed");

        await raw.SendAsync(Subscribe(5, device.CommandTopic, other.CommandTopic, device.CommandTopic + "/#", "#", "parking/sensors/+/commands"));

        var subAck = (await raw.ReceiveAsync()).ShouldBeOfType<MqttSubAck>();
        subAck.PacketId.ShouldBe((ushort)5);
        subAck.ReturnCodes.ShouldBe([0, MqttSubAck.Failure, 0, MqttSubAck.Failure, MqttSubAck.Failure]);
    }

    [Fact]
    public async Task Subscribe_ExactCommandTopic_GetsThatTopicButNotItsSubtopics()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "exact");
        await raw.SendAsync(Subscribe(1, device.CommandTopic));
        (await raw.ReceiveAsync()).ShouldBeOfType<MqttSubAck>();

        (await factory.Commands.PublishToDeviceAsync(device.Serial, "reboot", "x"u8.ToArray(), CancellationToken.None)).ShouldBe(0);
        (await factory.Commands.PublishToDeviceAsync(device.Serial, "", "calibrate"u8.ToArray(), CancellationToken.None)).ShouldBe(1);

        var publish = (await raw.ReceiveAsync()).ShouldBeOfType<MqttPublish>();
        publish.Topic.ShouldBe(device.CommandTopic);
        publish.Qos.ShouldBe(MqttQos.AtMostOnce);
        Encoding.UTF8.GetString(publish.Payload.Span).ShouldBe("calibrate");

        await raw.SendAsync([0xA2, .. Packet(0, [0, 2, .. Str(device.CommandTopic)])[1..]]);
        (await raw.ReceiveAsync()).ShouldBe(new MqttPacketIdentifier(MqttPacketType.UnsubAck, 2));
        (await factory.Commands.PublishToDeviceAsync(device.Serial, "", "x"u8.ToArray(), CancellationToken.None)).ShouldBe(0);
    }

    [Fact]
    public async Task Publish_TopicNotValidUtf8_Closed()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "utf8");

        await raw.SendAsync(Packet(0x30, [.. Bytes([.. Encoding.UTF8.GetBytes(device.Topic()), 0xFF]), (byte)'x']));

        await raw.WaitUntilClosedAsync(Deadline);
        factory.Gateway.AcceptedFrom(device.Serial).ShouldBeEmpty();
    }

    [Fact]
    public async Task Publish_QoS2SentTwice_DeliveredOnceAndCompleted()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "exactly-once");

        await raw.SendAsync(Publish(device.Topic(), "once", qos: 2, packetId: 7));
        (await raw.ReceiveAsync()).ShouldBe(new MqttPacketIdentifier(MqttPacketType.PubRec, 7));
        await raw.SendAsync(Publish(device.Topic(), "once", qos: 2, packetId: 7, duplicate: true));
        (await raw.ReceiveAsync()).ShouldBe(new MqttPacketIdentifier(MqttPacketType.PubRec, 7));
        await raw.SendAsync(PubRel(7));
        (await raw.ReceiveAsync()).ShouldBe(new MqttPacketIdentifier(MqttPacketType.PubComp, 7));

        factory.Gateway.AcceptedFrom(device.Serial).ShouldHaveSingleItem().Payload.ShouldBe("once");
    }

    [Fact]
    public async Task Publish_ManyQoS1Pipelined_AcknowledgedInOrderAfterAcceptance()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "pipeline");
        var ids = Enumerable.Range(1, 20).Select(i => (ushort)i).ToList();

        // More than MaxInflight (4), all at once: the server reads ahead, then stops reading until the gateway catches up.
        await raw.SendAsync([.. ids.SelectMany(id => Publish(device.Topic(), $"m{id}", qos: 1, packetId: id))]);

        foreach (var id in ids) (await raw.ReceiveAsync()).ShouldBe(new MqttPacketIdentifier(MqttPacketType.PubAck, id));
        factory.Gateway.AcceptedFrom(device.Serial).Select(a => a.Payload).ShouldBe(ids.Select(id => $"m{id}"));
    }

    [Fact]
    public async Task Disconnect_AfterQoS0Publishes_GatewayStillGetsThem()
    {
        var device = await factory.CreateDeviceAsync();
        await using var raw = await SignInAsync(Port, device, "leaving");

        await raw.SendAsync(Publish(device.Topic(), "a"), Publish(device.Topic(), "b"), Disconnect());

        await raw.WaitUntilClosedAsync(Deadline);
        var accepted = await Poll.UntilAsync(() => Task.FromResult(factory.Gateway.AcceptedFrom(device.Serial)), a => a.Count == 2, Deadline, "both messages");
        accepted.Select(a => a.Payload).ShouldBe(["a", "b"]);
    }

    private static byte[] RandomBytes()
    {
        var bytes = new byte[4096];
        new Random(20261123).NextBytes(bytes);
        return bytes;
    }
}
