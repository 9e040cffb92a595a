using System.Text.Json.Nodes;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Modules.Sensors.Mqtt.ExternalBroker;
using SmartParking.Tests.Events;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;
using static SmartParking.Tests.Ingest.MqttIngestTests;

namespace SmartParking.Tests.Mqtt;

/// <summary>
/// A server subscribed to a real Mosquitto as its external broker (Mqtt:ExternalBroker), its database behind a proxy
/// the tests can cut. Devices publish with the real mosquitto_pub at QoS 1.
/// </summary>
public sealed class ExternalBrokerFactory : ManageFactory
{
    public MosquittoBroker Broker { get; private set; } = null!;

    protected override bool DatabaseThroughProxy => true;

    public IngestPipeline Pipeline => Services.GetRequiredService<IngestPipeline>();

    public override async Task InitializeAsync()
    {
        Broker = await MosquittoBroker.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        foreach (var (key, value) in ExternalBrokerTests.BrokerSettings(Broker.Port, "sp-test-" + Guid.NewGuid().ToString("N")[..8])) settings[key] = value;
    }

    protected override async Task OnHostStoppedAsync()
    {
        await Broker.DisposeAsync();
        await base.OnHostStoppedAsync();
    }
}

public sealed class ExternalBrokerTests(ExternalBrokerFactory factory) : IClassFixture<ExternalBrokerFactory>
{
    private static readonly TimeSpan Eventually = TimeSpan.FromSeconds(30);

    public static Dictionary<string, string?> BrokerSettings(int port, string clientId) => new()
    {
        ["Mqtt:ExternalBroker:Host"] = "127.0.0.1",
        ["Mqtt:ExternalBroker:Port"] = port.ToString(CultureInfo.InvariantCulture),
        ["Mqtt:ExternalBroker:ClientId"] = clientId,
        // Reconnects within a second or two, so the broker-restart test does not wait long.
        ["Mqtt:ExternalBroker:MaxReconnectDelaySeconds"] = "2",
    };

    [Fact]
    public async Task Reading_PublishedToTheBroker_StoredAndShownInAvailability()
    {
        var (lotId, sensors) = await LotWithSensorsAsync(1);
        using var anonymous = factory.Anonymous();
        await WaitSubscribedAsync(anonymous);

        await PublishAsync(factory.Broker.Port, $"parking/sensors/{sensors[0].Serial}/status", Payload("occupied", SecondsAgo(5)));

        await StoredCountAsync(sensors[0].SpaceId, 1);
        await anonymous.WaitForSpaceStatusAsync(lotId, sensors[0].SpaceId, "occupied");
        var metrics = await anonymous.GetStringAsync("/metrics");
        metrics.ShouldContain("smartparking_mqtt_external_messages_received_total{outcome=\"accepted\"}");
        metrics.ShouldContain("smartparking_mqtt_external_connected 1");
    }

    [Fact]
    public async Task UnknownSerialAndBadPayload_CountedAndTheNextReadingStillArrives()
    {
        var (lotId, sensors) = await LotWithSensorsAsync(1);
        using var anonymous = factory.Anonymous();
        await WaitSubscribedAsync(anonymous);
        var before = await MetricsAsync(anonymous);

        await PublishAsync(factory.Broker.Port, "parking/sensors/NO-SUCH-SENSOR/status", Payload("occupied", SecondsAgo(9)));
        await PublishAsync(factory.Broker.Port, $"parking/sensors/{sensors[0].Serial}/status", "not a reading");
        await PublishAsync(factory.Broker.Port, $"parking/sensors/{sensors[0].Serial}/status", Payload("occupied", SecondsAgo(5)));

        await StoredCountAsync(sensors[0].SpaceId, 1);
        await anonymous.WaitForSpaceStatusAsync(lotId, sensors[0].SpaceId, "occupied");
        var after = await Poll.UntilAsync(() => MetricsAsync(anonymous),
            m => Count(m, "unknown_sensor") > Count(before, "unknown_sensor") && Count(m, "invalid") > Count(before, "invalid"), Eventually, "the unknown sensor and the bad payload to be counted");
        Count(after, "accepted").ShouldBeGreaterThan(Count(before, "accepted"));
    }

    [Fact]
    public async Task ServerAway_ReadingsPublishedMeanwhile_ArriveWhenItIsBack()
    {
        var (lotId, sensors) = await LotWithSensorsAsync(3);
        await using var broker = await MosquittoBroker.StartAsync();
        var settings = BrokerSettings(broker.Port, "sp-restart-" + Guid.NewGuid().ToString("N")[..8]);
        // The first start makes the broker-side session and its subscriptions.
        var first = new SecondNodeFactory(factory.Database, settings);
        await first.InitializeAsync();
        using (var client = first.Anonymous()) await WaitSubscribedAsync(client);
        await ((IAsyncLifetime)first).DisposeAsync();

        foreach (var sensor in sensors)
            await PublishAsync(broker.Port, $"parking/sensors/{sensor.Serial}/status", Payload("occupied", SecondsAgo(5)));

        var second = new SecondNodeFactory(factory.Database, settings);
        await second.InitializeAsync();
        try
        {
            foreach (var sensor in sensors) await StoredCountAsync(sensor.SpaceId, 1);
            using var anonymous = factory.Anonymous();
            foreach (var sensor in sensors) await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync();
        }
    }

    [Fact]
    public async Task SharedSubscription_TwoReplicas_SplitTheReadingsAndStoreEachOnce()
    {
        const int readings = 40;
        var (_, sensors) = await LotWithSensorsAsync(1);
        await using var broker = await MosquittoBroker.StartAsync();
        var nodes = new List<SecondNodeFactory>();
        var counters = new List<AcceptedCounter>();
        try
        {
            foreach (var name in new[] { "a", "b" })
            {
                var settings = BrokerSettings(broker.Port, $"sp-shared-{name}-" + Guid.NewGuid().ToString("N")[..8]);
                settings["Mqtt:ExternalBroker:SharedSubscriptionGroup"] = "smartparking";
                var node = new SecondNodeFactory(factory.Database, settings);
                nodes.Add(node);
                await node.InitializeAsync();
                counters.Add(new AcceptedCounter(node.Services));
                using var client = node.Anonymous();
                await WaitSubscribedAsync(client);
            }

            var lines = Path.Combine(Path.GetTempPath(), $"sp-shared-{Guid.NewGuid():N}.txt");
            await File.WriteAllLinesAsync(lines, Enumerable.Range(0, readings).Select(i => Payload(i % 2 == 0 ? "occupied" : "free", SecondsAgo(100 - i))));
            try
            {
                // -l: one message per line of standard input, all at QoS 1 on one connection.
                await using var pub = Mosquitto.Run("/bin/sh", "-c",
                    $"mosquitto_pub -h 127.0.0.1 -p {broker.Port} -q 1 -t parking/sensors/{sensors[0].Serial}/status -l < {lines}");
                (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
            }
            finally
            {
                File.Delete(lines);
            }

            await StoredCountAsync(sensors[0].SpaceId, readings);
            await Poll.UntilAsync(() => Task.FromResult(counters.Sum(c => c.Accepted)), n => n == readings, Eventually, "both replicas' acceptances");
            counters.ShouldAllBe(c => c.Accepted > 0, "each replica takes a share");
        }
        finally
        {
            foreach (var counter in counters) counter.Dispose();
            foreach (var node in nodes) await ((IAsyncLifetime)node).DisposeAsync();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Tls_BrokerCertificateFromAPrivateCa_TrustedOnlyWithThatCa(bool withCa)
    {
        var (_, sensors) = await LotWithSensorsAsync(1);
        var caPath = Path.Combine(Path.GetTempPath(), $"sp-ca-{Guid.NewGuid():N}.pem");
        using var ca = TestCertificates.Authority();
        await File.WriteAllTextAsync(caPath, ca.ExportCertificatePem());
        await using var broker = await MosquittoBroker.StartAsync(directory =>
        {
            using var server = TestCertificates.SignedBy(ca, "127.0.0.1");
            File.WriteAllText(Path.Combine(directory, "server.pem"), server.ExportCertificatePem());
            File.WriteAllText(Path.Combine(directory, "server.key"), server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            return $"certfile {directory}/server.pem\nkeyfile {directory}/server.key";
        });
        var settings = BrokerSettings(broker.Port, "sp-tls-" + Guid.NewGuid().ToString("N")[..8]);
        settings["Mqtt:ExternalBroker:UseTls"] = "true";
        if (withCa) settings["Mqtt:ExternalBroker:CaCertificatePath"] = caPath;
        var node = new SecondNodeFactory(factory.Database, settings);
        try
        {
            await node.InitializeAsync();
            using var client = node.Anonymous();
            if (withCa)
            {
                await WaitSubscribedAsync(client);
                await PublishAsync(broker.Port, $"parking/sensors/{sensors[0].Serial}/status", Payload("occupied", SecondsAgo(5)), "--cafile", caPath);
                await StoredCountAsync(sensors[0].SpaceId, 1);
            }
            else
            {
                var before = await MetricsAsync(client);
                // A certificate the system does not trust: every attempt fails, and readiness says so.
                await Poll.UntilAsync(() => MetricsAsync(client), m => Connects(m, "failed") >= Connects(before, "failed") + 2, Eventually, "two refused TLS handshakes");
                (await ReadinessAsync(client)).Body.ShouldBe("Degraded");
            }
        }
        finally
        {
            await ((IAsyncLifetime)node).DisposeAsync();
            File.Delete(caPath);
        }
    }

    [Fact]
    public async Task BrokerRestarted_ReadinessShowsItAndTheSubscriptionComesBack()
    {
        var (_, sensors) = await LotWithSensorsAsync(1);
        using var anonymous = factory.Anonymous();
        await WaitSubscribedAsync(anonymous);

        await factory.Broker.StopAsync();
        var (status, _) = await Poll.UntilAsync(() => ReadinessAsync(anonymous), r => r.Body == "Degraded", Eventually, "readiness to show the broker away");
        // Degraded, not unhealthy: the node still serves HTTP while the city's broker is away.
        status.ShouldBe(HttpStatusCode.OK);
        (await MetricsAsync(anonymous)).ShouldContain("smartparking_mqtt_external_connected 0");
        await factory.Broker.StartAgainAsync();
        await WaitSubscribedAsync(anonymous);

        await PublishAsync(factory.Broker.Port, $"parking/sensors/{sensors[0].Serial}/status", Payload("occupied", SecondsAgo(5)));

        await StoredCountAsync(sensors[0].SpaceId, 1);
    }

    [Fact]
    public async Task DatabaseUnreachable_ReadingArrivesOnceItIsBack()
    {
        var (lotId, sensors) = await LotWithSensorsAsync(1);
        using var anonymous = factory.Anonymous();
        await WaitSubscribedAsync(anonymous);
        // The new lot's catalogue events handled first: handled later, they would make the node forget the sensor.
        await factory.DrainAsync();
        // Once while the database is up, so the node knows the sensor.
        await PublishAsync(factory.Broker.Port, $"parking/sensors/{sensors[0].Serial}/status", Payload("free", SecondsAgo(60)));
        await StoredCountAsync(sensors[0].SpaceId, 1);

        factory.Proxy.Stop();
        try
        {
            await PublishAsync(factory.Broker.Port, $"parking/sensors/{sensors[0].Serial}/status", Payload("occupied", SecondsAgo(30)));
            await Poll.UntilAsync(() => Task.FromResult(factory.Pipeline.QueuedReadings), q => q >= 1, Eventually, "the reading to wait in the queue");
            (await factory.StoredReadingsAsync(sensors[0].SpaceId)).Count.ShouldBe(1);
        }
        finally
        {
            factory.Proxy.Start();
        }

        await StoredCountAsync(sensors[0].SpaceId, 2);
        await anonymous.WaitForSpaceStatusAsync(lotId, sensors[0].SpaceId, "occupied", Eventually);
    }

    [Fact]
    public async Task DatabaseUnreachableWhileResolvingTheSensor_NotAcknowledgedAndRedeliveredOnceItIsBack()
    {
        var (lotId, sensors) = await LotWithSensorsAsync(1);
        using var anonymous = factory.Anonymous();
        await WaitSubscribedAsync(anonymous);
        await factory.DrainAsync();
        // The sensor must be looked up in the database, which is about to be away: the platform cannot take the message now.
        factory.Services.GetRequiredService<SensorDirectory>().Clear();
        var before = await MetricsAsync(anonymous);

        factory.Proxy.Stop();
        try
        {
            await PublishAsync(factory.Broker.Port, $"parking/sensors/{sensors[0].Serial}/status", Payload("occupied", SecondsAgo(30)));
            await Poll.UntilAsync(() => MetricsAsync(anonymous), m => Count(m, "unavailable") > Count(before, "unavailable"), Eventually,
                "the message to meet the outage");
        }
        finally
        {
            factory.Proxy.Start();
        }

        // Left unacknowledged, so the broker sends it again on the next connection, once the database answers.
        await StoredCountAsync(sensors[0].SpaceId, 1);
        await anonymous.WaitForSpaceStatusAsync(lotId, sensors[0].SpaceId, "occupied", Eventually);
    }

    [Theory]
    [InlineData("Mqtt:ExternalBroker:Port", "0")]
    [InlineData("Mqtt:ExternalBroker:Host", "mqtt://broker.example:1883")]
    [InlineData("Mqtt:ExternalBroker:TopicFilters:0", "city/#")]
    [InlineData("Mqtt:ExternalBroker:SharedSubscriptionGroup", "a/b")]
    [InlineData("Mqtt:ExternalBroker:CaCertificatePath", "/no/such/ca.pem")]
    public async Task Start_InvalidExternalBrokerSetting_FailsNamingTheSetting(string key, string value)
    {
        var settings = BrokerSettings(1883, "sp-invalid");
        settings["Mqtt:ExternalBroker:UseTls"] = "true";
        settings[key] = value;
        var node = new SecondNodeFactory(factory.Database, settings);
        try
        {
            var error = await Should.ThrowAsync<OptionsValidationException>(node.InitializeAsync);

            error.Message.ShouldContain(key.EndsWith(":0", StringComparison.Ordinal) ? key[..^2] : key);
        }
        finally
        {
            await ((IAsyncLifetime)node).DisposeAsync();
        }
    }

    private async Task<(Guid LotId, List<TestSensor> Sensors)> LotWithSensorsAsync(int count)
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensors = new List<TestSensor>();
        for (var i = 0; i < count; i++) sensors.Add(await op.CreateSensorAsync(lotId));
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForLotAsync(lotId, count);
        return (lotId, sensors);
    }

    private static async Task WaitSubscribedAsync(HttpClient client) =>
        await Poll.UntilAsync(() => ReadinessAsync(client), r => r.Body == "Healthy", Eventually, "the server to be subscribed to the external broker");

    /// <summary>The readiness status code and what its external-broker check says (Healthy, Degraded, ...).</summary>
    private static async Task<(HttpStatusCode Status, string Body)> ReadinessAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health/ready");
        var readiness = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, readiness?["checks"]?["mqtt-external-broker"]?["status"]?.GetValue<string>() ?? "");
    }

    /// <summary>mosquitto_pub at QoS 1; it exits 0 once the broker has the message.</summary>
    private static async Task PublishAsync(int port, string topic, string message, params string[] extra)
    {
        await using var pub = Mosquitto.Run("mosquitto_pub", [.. Mosquitto.Common(port, null, null), "-t", topic, "-m", message, "-q", "1", .. extra]);
        (await pub.ExitCodeAsync()).ShouldBe(0, pub.ToString());
    }

    private Task StoredCountAsync(Guid spaceId, int count) =>
        Poll.UntilAsync(() => factory.StoredReadingsAsync(spaceId), rows => rows.Count == count, Eventually, $"{count} stored readings of space {spaceId}");

    /// <summary>Messages one node accepted from the external broker, from its own meter (/metrics sums every node in the process).</summary>
    private sealed class AcceptedCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _accepted;

        public AcceptedCounter(IServiceProvider node)
        {
            // The node's meter factory hands out the meter its metrics were created on.
            var meter = node.GetRequiredService<IMeterFactory>().Create(ExternalBrokerMetrics.MeterName);
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "smartparking.mqtt.external.messages.received") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag is { Key: "outcome", Value: "accepted" }) Interlocked.Add(ref _accepted, value);
            });
            _listener.Start();
        }

        public long Accepted => Interlocked.Read(ref _accepted);

        public void Dispose() => _listener.Dispose();
    }

    private static Task<string> MetricsAsync(HttpClient client) => client.GetStringAsync("/metrics");

    /// <summary>The external broker's message counter for one outcome (summed over every host in this test process).</summary>
    private static double Count(string metrics, string outcome) => Value(metrics, $"smartparking_mqtt_external_messages_received_total{{outcome=\"{outcome}\"}} ");

    private static double Connects(string metrics, string result) => Value(metrics, $"smartparking_mqtt_external_connects_total{{result=\"{result}\"}} ");

    private static double Value(string metrics, string prefix)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
