using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Mqtt;
using SmartParking.Tests.Reservations;
using Xunit.Abstractions;

namespace SmartParking.Tests.Deployment;

/// <summary>The in-process node the scenario is set up through (operator, lots, sensors, drivers); it serves the API only.</summary>
public sealed class FailoverSeedFactory : BookingFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Server:Role"] = "api";
    }
}

/// <summary>
/// Three server processes on one PostgreSQL behind HAProxy, under steady MQTT and HTTP ingest and SSE clients; one is
/// killed with SIGKILL. Nothing acknowledged may be lost, SSE clients resume through the proxy with Last-Event-ID and
/// end on the same state as the database, the scheduled jobs go on on a survivor, and a space still has one booking.
/// </summary>
public sealed class MultiNodeFailoverTests(FailoverSeedFactory seed, ITestOutputHelper output) : IClassFixture<FailoverSeedFactory>
{
    private static readonly TimeSpan Eventually = TimeSpan.FromSeconds(30);

    private static readonly string[] NodeSettings =
    [
        "--Reservations:SweepSeconds", "1", "--Reservations:MaxUnpaidHolds", "0", "--Ingest:HeartbeatSeconds", "43200",
        "--Http:RequestsPerWindow", "1000000", "--Http:AuthRequestsPerWindow", "1000000", "--Logging:LogLevel:Default", "Warning",
        "--Pricing:Scheduled", "false", "--Analytics:DailyReports:Enabled", "false",
    ];

    [Fact]
    public async Task NodeKilledUnderLoad_NothingAcknowledgedLost_SseResumes_JobsMove_OneBookingWins()
    {
        // ---- set up through the seed node: a lot of sensors, a one-space lot to fight over, a gateway, drivers
        var (lotId, sensors) = await seed.OpenLotAsync(spaces: 12);
        var (bookingLot, bookingSpaces) = await seed.OpenLotAsync(spaces: 1);
        using var op = seed.OperatorClient();
        var (_, gatewayKey) = await op.CreateGatewayAsync();
        var drivers = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var (driver, client) = await seed.DriverAsync();
            client.Dispose();
            drivers.Add(driver.Tokens.AccessToken);
        }

        // ---- three nodes, each told its role another way, behind HAProxy
        await using var n1 = ServerNode.Start(seed.Database.ConnectionString, ["--role", "all", .. NodeSettings]);
        await using var n2 = ServerNode.Start(seed.Database.ConnectionString, ["--Server:Role", "all", .. NodeSettings]);
        await using var n3 = ServerNode.Start(seed.Database.ConnectionString, NodeSettings);
        ServerNode[] nodes = [n1, n2, n3];
        await Task.WhenAll(nodes.Select(n => n.WaitUntilReadyAsync(TimeSpan.FromSeconds(90))));
        await using var proxy = HaProxy.Start([.. nodes.Select(n => (n.HttpPort, n.MqttPort))]);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        await Poll.UntilAsync(async () => await StatusAsync(http, "/health/ready"), s => s == HttpStatusCode.OK, Eventually, "the proxy to reach a node");

        // ---- steady load: HTTP batches through a gateway, MQTT QoS 1 per device, SSE followers of the lot
        var load = new Load();
        using var stop = new CancellationTokenSource();
        using var stopFollowing = new CancellationTokenSource();
        var followers = Enumerable.Range(0, 3).Select(_ => new SseFollower(proxy.BaseUri, $"/api/v1/availability/stream?lotId={lotId}")).ToList();
        var following = followers.Select(f => f.RunAsync(stopFollowing.Token)).ToList();
        var running = new List<Task>();
        running.AddRange(Enumerable.Range(0, 2).Select(_ => load.HttpAsync(proxy.BaseUri, gatewayKey, sensors.Skip(4).ToList(), stop.Token)));
        running.AddRange(sensors.Take(4).Select(s => load.MqttAsync(proxy.MqttPort, s, stop.Token)));
        await Poll.UntilAsync(() => Task.FromResult(followers.All(f => f.Node is not null) && load.Acknowledged > 300), ok => ok, Eventually, "load and SSE to run");

        // One booking of the space before the kill: its hold is what shows the jobs running after it.
        var start = DateTimeOffset.UtcNow.AddHours(2);
        var (winnerBefore, outcomesBefore) = await ContendAsync(proxy.BaseUri, drivers, bookingLot, bookingSpaces[0].SpaceId, start);

        // ---- SIGKILL the node that serves the first SSE follower
        var victim = nodes[int.Parse(followers[0].Node!.AsSpan(1), CultureInfo.InvariantCulture) - 1];
        var acknowledgedAtKill = load.Acknowledged;
        victim.Kill();
        var killed = Stopwatch.StartNew();
        // The held booking falls due now: a scheduled-jobs round on a survivor expires it.
        await seed.ExecuteAsync("update reservations set hold_expires_at = now() where id = $1", winnerBefore);
        await Poll.UntilAsync(async () => await seed.ScalarAsync<string>("select status from reservations where id = $1", winnerBefore), s => s != "held", Eventually,
            "a survivor's jobs to expire the hold");
        var jobTakeover = killed.Elapsed;

        var (_, outcomesAfter) = await ContendAsync(proxy.BaseUri, drivers, bookingLot, bookingSpaces[0].SpaceId, start.AddHours(3));
        await Poll.UntilAsync(() => Task.FromResult(load.Acknowledged), n => n > acknowledgedAtKill + 300, Eventually, "ingest to go on after the kill");
        await Poll.UntilAsync(() => Task.FromResult(followers.All(f => f.Reconnects == 0 || f.Resumed)), ok => ok, Eventually, "SSE followers to resume");
        await stop.CancelAsync();
        await Task.WhenAll(running);

        // ---- nothing acknowledged lost: every 2xx / PUBACK reading is stored
        var spaceIds = sensors.Select(s => s.SpaceId).ToArray();
        var acknowledged = load.AcknowledgedReadings;
        var missing = await Poll.UntilAsync(async () =>
        {
            var stored = (await seed.ColumnAsync("select space_id::text || '@' || (extract(epoch from observed_at) * 1000)::bigint from sensor_readings where space_id = any($1)", spaceIds)).ToHashSet();
            return acknowledged.Where(a => !stored.Contains(a)).ToList();
        }, m => m.Count == 0, Eventually, "every acknowledged reading in the database");

        // ---- SSE followers end on the database's state, the one on the killed node after resuming with Last-Event-ID
        var finalState = await Poll.UntilAsync(async () =>
        {
            var lot = await http.GetFromJsonAsync<JsonElement>($"/api/v1/lots/{lotId}/availability");
            var state = lot.GetProperty("spaces").EnumerateArray().ToDictionary(s => s.GetProperty("spaceId").GetGuid(), s => s.GetProperty("status").GetString());
            return (state, behind: followers.Count(f => sensors.Any(s => f.Latest.GetValueOrDefault(s.SpaceId) != state[s.SpaceId])));
        }, r => r.behind == 0, Eventually, "every SSE follower to show the final state");
        await stopFollowing.CancelAsync();
        await Task.WhenAll(following);

        output.WriteLine($"readings acknowledged {acknowledged.Count} (HTTP {load.HttpAcknowledged}, MQTT {load.MqttAcknowledged}), lost {missing.Count}; " +
            $"failed requests/publishes {load.Failures}; SSE reconnects {followers.Sum(f => f.Reconnects)}, longest gap {followers.Max(f => f.LongestGap).TotalSeconds:0.00} s; " +
            $"jobs took over in {jobTakeover.TotalSeconds:0.00} s; bookings before kill {Describe(outcomesBefore)}, after {Describe(outcomesAfter)}");

        missing.ShouldBeEmpty();
        followers[0].Reconnects.ShouldBeGreaterThan(0, "the follower on the killed node lost its stream");
        followers.ShouldAllBe(f => f.Resumed || f.Reconnects == 0);
        finalState.behind.ShouldBe(0);
        outcomesBefore.Count(s => s == HttpStatusCode.Created).ShouldBe(1, Describe(outcomesBefore));
        outcomesBefore.Count(s => s == HttpStatusCode.Conflict).ShouldBe(drivers.Count - 1, Describe(outcomesBefore));
        outcomesAfter.Count(s => s == HttpStatusCode.Created).ShouldBe(1, Describe(outcomesAfter));
        outcomesAfter.Count(s => s == HttpStatusCode.Conflict).ShouldBe(drivers.Count - 1, Describe(outcomesAfter));
        victim.HasExited.ShouldBeTrue();
        nodes.Where(n => n != victim).ShouldAllBe(n => !n.HasExited);
    }

    private static string Describe(IEnumerable<HttpStatusCode> outcomes) =>
        string.Join(", ", outcomes.GroupBy(s => s).Select(g => $"{(int)g.Key}×{g.Count()}"));

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string path)
    {
        try { return (await http.GetAsync(path)).StatusCode; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return HttpStatusCode.ServiceUnavailable; }
    }

    /// <summary>Every driver books the one space for the same hour at once, each through the proxy on its own connection.</summary>
    private static async Task<(Guid Winner, List<HttpStatusCode> Outcomes)> ContendAsync(Uri proxy, List<string> drivers, Guid lotId, Guid spaceId, DateTimeOffset start)
    {
        var results = await Task.WhenAll(drivers.Select(async token =>
        {
            using var client = new HttpClient { BaseAddress = proxy, Timeout = TimeSpan.FromSeconds(20) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.PostAsJsonAsync("/api/v1/reservations", BookingFactory.Booking(lotId, spaceId, start, TimeSpan.FromHours(1)));
            var id = response.StatusCode == HttpStatusCode.Created ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid() : Guid.Empty;
            return (response.StatusCode, id);
        }));
        return (results.FirstOrDefault(r => r.StatusCode == HttpStatusCode.Created).id, [.. results.Select(r => r.StatusCode)]);
    }

    /// <summary>Readings sent and the ones acknowledged (202 "accepted" or PUBACK), keyed "space@epoch-ms" as stored.</summary>
    private sealed class Load
    {
        private readonly ConcurrentDictionary<string, byte> _acknowledged = new();
        private readonly ConcurrentDictionary<string, long> _lastMs = new();
        private int _http, _mqtt, _failures;

        public int Acknowledged => _acknowledged.Count;
        public int HttpAcknowledged => _http;
        public int MqttAcknowledged => _mqtt;
        public int Failures => _failures;
        public IReadOnlyList<string> AcknowledgedReadings => [.. _acknowledged.Keys];

        /// <summary>A new reading time for the sensor, later than its last (so each is a reading of its own), and the status it flips to.</summary>
        private (DateTimeOffset At, string Status) Next(TestSensor sensor)
        {
            var ms = _lastMs.AddOrUpdate(sensor.Serial, _ => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), (_, last) => Math.Max(last + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return (DateTimeOffset.FromUnixTimeMilliseconds(ms), ms % 2 == 0 ? "occupied" : "free");
        }

        private void Acknowledge(TestSensor sensor, DateTimeOffset at, ref int counter)
        {
            if (_acknowledged.TryAdd($"{sensor.SpaceId}@{at.ToUnixTimeMilliseconds()}", 0)) Interlocked.Increment(ref counter);
        }

        public async Task HttpAsync(Uri proxy, string gatewayKey, List<TestSensor> batchSensors, CancellationToken ct)
        {
            using var client = new HttpClient { BaseAddress = proxy, Timeout = TimeSpan.FromSeconds(10) };
            client.DefaultRequestHeaders.Add(IngestKit.GatewayHeader, gatewayKey);
            while (!ct.IsCancellationRequested)
            {
                var batch = batchSensors.Select(s => (Sensor: s, Reading: Next(s))).ToList();
                var body = IngestKit.Batch(batch.Select(b => (JsonNode)IngestKit.Reading(b.Sensor.Serial, b.Reading.Status, b.Reading.At)));
                try
                {
                    using var response = await client.PostAsJsonAsync(IngestKit.ReadingsUrl, body, CancellationToken.None);
                    if (response.StatusCode != HttpStatusCode.Accepted) { Interlocked.Increment(ref _failures); continue; }
                    var items = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
                    foreach (var item in items.Where(i => i.GetProperty("outcome").GetString() == "accepted"))
                    {
                        var (sensor, (at, _)) = batch[item.GetProperty("index").GetInt32()];
                        Acknowledge(sensor, at, ref _http);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { Interlocked.Increment(ref _failures); }
                await PaceAsync(ct);
            }
        }

        public async Task MqttAsync(int port, TestSensor sensor, CancellationToken ct)
        {
            ushort packetId = 0;
            while (!ct.IsCancellationRequested)
            {
                RawMqttClient? client = null;
                try
                {
                    client = await RawMqttClient.SignInAsync(port, new TestDevice(sensor.Serial, sensor.Secret), "failover-" + sensor.Serial);
                    while (!ct.IsCancellationRequested)
                    {
                        var (at, status) = Next(sensor);
                        packetId = (ushort)(packetId % ushort.MaxValue + 1);
                        var payload = JsonSerializer.Serialize(new { status, observedAt = IngestKit.Iso(at) });
                        await client.SendAsync(RawMqttClient.Publish($"parking/sensors/{sensor.Serial}/status", payload, qos: 1, packetId: packetId));
                        if (await client.ReceiveAsync(TimeSpan.FromSeconds(5)) is MqttPacketIdentifier { PacketType: MqttPacketType.PubAck } ack && ack.PacketId == packetId)
                            Acknowledge(sensor, at, ref _mqtt);
                        await PaceAsync(ct);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // The node went away mid-publish: that reading was never acknowledged; connect again through the proxy.
                    Interlocked.Increment(ref _failures);
                }
                finally { if (client is not null) await client.DisposeAsync(); }
            }
        }

        // Steady, not flat out: the machine also runs three nodes, PostgreSQL and the proxy.
        private static async Task PaceAsync(CancellationToken ct)
        {
            try { await Task.Delay(20, ct); }
            catch (OperationCanceledException) { }
        }
    }
}
