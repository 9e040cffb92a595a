using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Tests.Events;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Mqtt;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary>
/// The real path end to end: mosquitto_pub → our MQTT transport → the ingest pipeline → PostgreSQL → change feed →
/// REST and SSE. The database connection runs through a proxy the tests can cut.
/// </summary>
public sealed class MqttIngestFactory : ManageFactory
{
    protected override bool DatabaseThroughProxy => true;

    protected override bool UseRealServer => true;

    public int MqttPort => Services.GetRequiredService<MqttListeners>().Port(tls: false);

    public IngestPipeline Pipeline => Services.GetRequiredService<IngestPipeline>();

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Mqtt:Enabled"] = "true";
        settings["Mqtt:Port"] = "0";
        // Short, so the readiness test sees a stalled writer without a long wait.
        settings["Ingest:StallSeconds"] = "2";
    }

    /// <summary>A lot of its own with <paramref name="count"/> sensors, once the availability model knows them.</summary>
    public async Task<(Guid LotId, List<TestSensor> Sensors)> LotWithSensorsAsync(int count)
    {
        using var op = OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensors = new List<TestSensor>();
        for (var i = 0; i < count; i++) sensors.Add(await op.CreateSensorAsync(lotId));
        using var anonymous = Anonymous();
        await anonymous.WaitForLotAsync(lotId, count);
        return (lotId, sensors);
    }
}

public sealed class MqttIngestTests(MqttIngestFactory factory) : IClassFixture<MqttIngestFactory>
{
    internal static string Payload(string status, DateTimeOffset at) => $$"""{"status":"{{status}}","observedAt":"{{Iso(at)}}"}""";

    private Task<(Guid LotId, List<TestSensor> Sensors)> LotWithSensorsAsync(int count) => factory.LotWithSensorsAsync(count);

    [Fact]
    public async Task MosquittoPub_Qos1AndQos0_ChangeAvailabilityInRestAndSse()
    {
        var (lotId, sensors) = await LotWithSensorsAsync(2);
        using var anonymous = factory.Anonymous();
        await using var stream = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lotId={lotId}");

        var first = new TestDevice(sensors[0].Serial, sensors[0].Secret);
        await using (var pub = Mosquitto.Pub(factory.MqttPort, first, $"parking/sensors/{first.Serial}/status", Payload("occupied", SecondsAgo(5)), qos: 1))
            (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        // QoS 1 acknowledged means durable: the row is there without waiting.
        (await factory.StoredReadingsAsync(sensors[0].SpaceId)).Count.ShouldBe(1);
        await anonymous.WaitForSpaceStatusAsync(lotId, sensors[0].SpaceId, "occupied");
        var change = await stream.NextMatchingAsync(e => e.Event == "availability" && e.Json.GetProperty("spaceId").GetGuid() == sensors[0].SpaceId, "the MQTT reading on the stream");
        change.Json.GetProperty("status").GetString().ShouldBe("occupied");

        var second = new TestDevice(sensors[1].Serial, sensors[1].Secret);
        await using (var pub = Mosquitto.Pub(factory.MqttPort, second, $"parking/sensors/{second.Serial}/status", Payload("free", SecondsAgo(3)), qos: 0))
            (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
        await anonymous.WaitForSpaceStatusAsync(lotId, sensors[1].SpaceId, "free");
        await stream.NextMatchingAsync(e => e.Event == "availability" && e.Json.GetProperty("spaceId").GetGuid() == sensors[1].SpaceId, "the QoS 0 reading on the stream");
    }

    [Fact]
    public async Task MosquittoPub_WrongSecretOrAnotherDevicesTopic_RefusedAndNothingStored()
    {
        var (_, sensors) = await LotWithSensorsAsync(2);
        var impostor = new TestDevice(sensors[0].Serial, "not-the-secret");
        await using (var pub = Mosquitto.Pub(factory.MqttPort, impostor, $"parking/sensors/{impostor.Serial}/status", Payload("occupied", SecondsAgo(5)), qos: 1))
            (await pub.ExitCodeAsync()).ShouldNotBe(0, pub.ToString());

        var device = new TestDevice(sensors[0].Serial, sensors[0].Secret);
        await using (var pub = Mosquitto.Pub(factory.MqttPort, device, $"parking/sensors/{sensors[1].Serial}/status", Payload("occupied", SecondsAgo(5)), qos: 1))
            (await pub.ExitCodeAsync()).ShouldNotBe(0, pub.ToString());

        (await factory.StoredReadingsAsync(sensors[0].SpaceId)).ShouldBeEmpty();
        (await factory.StoredReadingsAsync(sensors[1].SpaceId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task MosquittoPubQos1_WhileDatabaseIsDown_AcknowledgedOnlyAfterItReturnsAndStored()
    {
        var (lotId, sensors) = await LotWithSensorsAsync(1);
        var device = new TestDevice(sensors[0].Serial, sensors[0].Secret);
        // The new lot's catalogue events handled first: handled after the warm-up, they would make the node forget the device.
        await factory.DrainAsync();
        // Once while the database is up, so the node knows the device.
        await using (var warm = Mosquitto.Pub(factory.MqttPort, device, $"parking/sensors/{device.Serial}/status", Payload("free", SecondsAgo(60)), qos: 1))
            (await warm.ExitCodeAsync()).ShouldBe(0, warm.ToString());

        Mosquitto pub;
        factory.Proxy.Stop();
        try
        {
            pub = Mosquitto.Pub(factory.MqttPort, device, $"parking/sensors/{device.Serial}/status", Payload("occupied", SecondsAgo(30)), qos: 1);
            // Held in the queue, unacknowledged: the client is still waiting for its PUBACK.
            await Poll.UntilAsync(() => Task.FromResult(factory.Pipeline.QueuedReadings), q => q >= 1, TimeSpan.FromSeconds(20), "the reading to wait in the queue");
            pub.HasExited.ShouldBeFalse(pub.ToString());
        }
        finally
        {
            factory.Proxy.Start();
        }
        await using (pub)
            (await pub.ExitCodeAsync(TimeSpan.FromSeconds(40))).ShouldBe(0, pub.ToString());
        (await factory.StoredReadingsAsync(sensors[0].SpaceId)).Count.ShouldBe(2);
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(lotId, sensors[0].SpaceId, "occupied", TimeSpan.FromSeconds(30));
    }
}
