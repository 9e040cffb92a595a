namespace SmartParking.Tests.Mqtt;

/// <summary>Its own class (and server) because it takes about ten seconds, which then overlap with the other classes.</summary>
public sealed class MosquittoKeepAliveTests(MqttFactory factory) : IClassFixture<MqttFactory>
{
    [Fact]
    public async Task Subscribe_KeepAliveFiveSeconds_PingsAnsweredAndTheSessionOutlivesTheServersLimit()
    {
        var device = await factory.CreateDeviceAsync();

        // mosquitto's shortest keep-alive is 5 s. Two answered pings take the connection past the 7.5 s the server
        // allows without a packet, so it only survives because PINGREQ counts and PINGRESP comes back.
        await using var sub = Mosquitto.Sub(factory.MqttPort, device, device.CommandTopic, "-k", "5");
        var output = await sub.OutputAsync(o => Count(o, "received PINGRESP") >= 2, "two answered pings", TimeSpan.FromSeconds(30));

        Count(output, "sending CONNECT").ShouldBe(1, output);
        sub.HasExited.ShouldBeFalse(output);
        (await factory.Commands.PublishToDeviceAsync(device.Serial, "", "still-there"u8.ToArray(), CancellationToken.None)).ShouldBe(1);
        await sub.OutputAsync(o => o.Contains($"{device.CommandTopic} still-there", StringComparison.Ordinal), "the command");
    }

    private static int Count(string text, string what) => text.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));
}
