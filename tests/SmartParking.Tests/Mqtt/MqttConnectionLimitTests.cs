using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Mqtt.RawMqttClient;

namespace SmartParking.Tests.Mqtt;

public sealed class MqttLimitFactory : MqttFactory
{
    public const int MaxConnections = 2;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Mqtt:MaxConnections"] = MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class MqttConnectionLimitTests(MqttLimitFactory factory) : IClassFixture<MqttLimitFactory>
{
    [Fact]
    public async Task Connect_BeyondMaxConnections_ClosedOnAcceptUntilOneLeaves()
    {
        var device = await factory.CreateDeviceAsync();
        await using var first = await SignInAsync(factory.MqttPort, device, "first");
        // A connection counts from accept, before CONNECT, so a flood of silent sockets is bounded too.
        var second = await ConnectAsync(factory.MqttPort);

        await using (var third = await ConnectAsync(factory.MqttPort))
        {
            await third.SendAsync(Connect("third", device.Serial, device.Secret));
            await third.WaitUntilClosedAsync();
        }

        await second.DisposeAsync();
        // The slot frees once the server has seen the close: try until a new connection gets its CONNACK (a loaded box can take seconds).
        await Poll.UntilAsync(async () => await SignsInAsync(device), ok => ok, TimeSpan.FromSeconds(30), "a free connection slot");
        await first.SendAsync(PingReq());
        (await first.ReceiveAsync()).ShouldBe(MqttEmptyPacket.PingResp);
    }

    private async Task<bool> SignsInAsync(TestDevice device)
    {
        await using var client = await ConnectAsync(factory.MqttPort);
        await client.SendAsync(Connect("retry", device.Serial, device.Secret));
        try
        {
            return await client.ReceiveAsync() is MqttConnAck { ReturnCode: MqttConnectReturnCode.Accepted };
        }
        catch (Exception e) when (e is InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return false; // closed on accept: still full
        }
    }
}
