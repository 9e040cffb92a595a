using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
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
        using var opened = OpenedConnections();
        var second = await ConnectAsync(factory.MqttPort);
        // Kestrel hands accepted sockets to the thread pool, so the server may count a later one first: the third
        // connects only once the second holds the last slot.
        await Poll.UntilAsync(() => Task.FromResult(opened.Count), n => n == 1, TimeSpan.FromSeconds(30), "the second connection counted");

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

    private OpenedConnectionCounter OpenedConnections() => new(factory.Services.GetRequiredService<IMeterFactory>());

    /// <summary>Connections one server opens from now on, read from its own meters (other test servers share the process).</summary>
    private sealed class OpenedConnectionCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _opened;

        public OpenedConnectionCounter(IMeterFactory serverMeters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == serverMeters && instrument.Name == "smartparking.mqtt.connections.active") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, change, _, _) => { if (change > 0) Interlocked.Add(ref _opened, change); });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _opened);

        public void Dispose() => _listener.Dispose();
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
