using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Simulator;
using SmartParking.Tests.Deployment;

namespace SmartParking.Bench;

/// <summary>
/// Three server nodes (the harness's and two more) on one PostgreSQL behind HAProxy, under HTTP and MQTT ingest and SSE
/// followers; the first node is killed with SIGKILL. Prints what a failover costs: readings acknowledged and lost, the
/// SSE gap, how long until a survivor's jobs act, and the booking winners. Needs haproxy (apt-get install haproxy).
/// </summary>
internal static class MultiNodeBench
{
    private const int DriversPerRace = 16;

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        c.Header("multinode", $"3 nodes behind HAProxy, {s.IngestClients} HTTP ingest clients, {Math.Min(s.MqttConnections, 50)} MQTT devices, 3 SSE followers; the node of the first follower SIGKILLed after {s.Duration / 2} s of {s.Duration} s");
        var env = c.Env;
        await using var n2 = ServerProcess.Start(env.ServerDll, env.ConnectionString, Path.Combine(env.Directory, "server2.log"), env.Smtp.Port, !s.NoRollups);
        await using var n3 = ServerProcess.Start(env.ServerDll, env.ConnectionString, Path.Combine(env.Directory, "server3.log"), env.Smtp.Port, !s.NoRollups);
        await Task.WhenAll(n2.WaitUntilReadyAsync(TimeSpan.FromSeconds(180), ct), n3.WaitUntilReadyAsync(TimeSpan.FromSeconds(180), ct));
        ServerProcess[] nodes = [env.Server, n2, n3];
        await using var proxy = HaProxy.Start([.. nodes.Select(n => (n.HttpPort, n.MqttPort))]);
        var (proxyUrl, mqttPort) = (proxy.BaseUri, proxy.MqttPort);
        using var http = new HttpClient { BaseAddress = proxyUrl, Timeout = TimeSpan.FromSeconds(20) };
        await UntilAsync(async () =>
        {
            try { return (await http.GetAsync("/health/ready", ct)).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; } // HAProxy not listening yet
        }, TimeSpan.FromSeconds(30), "the proxy to reach a node");
        var drivers = await BookingBench.RegisterDriversAsync(c, http, DriversPerRace, ct, "multinode");

        var lot = env.City.Lots[0];
        var raceLot = env.City.Lots[^1];
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var lastMs = new ConcurrentDictionary<string, long>();
        int httpAcks = 0, mqttAcks = 0, failures = 0;
        (DateTimeOffset At, string Status) Next(string serial)
        {
            var ms = lastMs.AddOrUpdate(serial, _ => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), (_, last) => Math.Max(last + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return (DateTimeOffset.FromUnixTimeMilliseconds(ms), ms % 2 == 0 ? "occupied" : "free");
        }
        var spaceOf = env.City.Lots.SelectMany(l => l.Serials.Zip(l.SpaceIds)).ToDictionary(p => p.First, p => p.Second);
        void Ack(string serial, DateTimeOffset at, ref int counter)
        {
            if (acknowledged.TryAdd($"{spaceOf[serial]}@{at.ToUnixTimeMilliseconds()}", 0)) Interlocked.Increment(ref counter);
        }

        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var followers = Enumerable.Range(0, 3).Select(_ => new SseFollower(proxyUrl, $"/api/v1/availability/stream?lotId={lot.Id}")).ToList();
        var following = followers.Select(f => f.RunAsync(stopFollowing.Token)).ToList();
        var httpSerials = lot.Serials.Skip(lot.Serials.Length / 2).ToArray();
        var mqttSerials = env.City.Lots.SelectMany(l => l.Serials).Except(httpSerials).Take(Math.Min(s.MqttConnections, 50)).ToArray();
        var load = new List<Task>();
        load.AddRange(Enumerable.Range(0, s.IngestClients).Select(_ => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = proxyUrl, Timeout = TimeSpan.FromSeconds(20) };
            client.DefaultRequestHeaders.Add("X-Gateway-Key", env.City.GatewayKey);
            while (!stopLoad.IsCancellationRequested)
            {
                var batch = httpSerials.Select(serial => (Serial: serial, Reading: Next(serial))).ToList();
                var body = new { readings = batch.Select(b => new { sensorId = b.Serial, status = b.Reading.Status, observedAt = b.Reading.At.ToString("O", CultureInfo.InvariantCulture) }) };
                try
                {
                    using var response = await client.PostAsJsonAsync("/api/v1/ingest/readings", body, CancellationToken.None);
                    if (response.StatusCode != HttpStatusCode.Accepted) { Interlocked.Increment(ref failures); continue; }
                    foreach (var item in (await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).GetProperty("items").EnumerateArray())
                        if (item.GetProperty("outcome").GetString() == "accepted")
                        {
                            var (serial, (at, _)) = batch[item.GetProperty("index").GetInt32()];
                            Ack(serial, at, ref httpAcks);
                        }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { Interlocked.Increment(ref failures); }
            }
        })));
        load.AddRange(mqttSerials.Select(serial => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                try
                {
                    await using var client = new MqttClient(window: 1);
                    await client.ConnectAsync("127.0.0.1", mqttPort, "multinode-" + serial, serial, CitySeeder.SecretOf(serial), stopLoad.Token).WaitAsync(TimeSpan.FromSeconds(10), stopLoad.Token);
                    while (!stopLoad.IsCancellationRequested)
                    {
                        var (at, status) = Next(serial);
                        var payload = JsonSerializer.SerializeToUtf8Bytes(new { status, observedAt = at.ToString("O", CultureInfo.InvariantCulture) });
                        // QoS 1 returns once the PUBACK is in: the reading is acknowledged.
                        await client.PublishAsync($"parking/sensors/{serial}/status", payload, 1, stopLoad.Token).WaitAsync(TimeSpan.FromSeconds(10), stopLoad.Token);
                        Ack(serial, at, ref mqttAcks);
                    }
                }
                catch (Exception)
                {
                    // A node went away mid-publish (or the run ended): that reading was not acknowledged; connect again.
                    if (!stopLoad.IsCancellationRequested) Interlocked.Increment(ref failures);
                }
            }
        })));

        var run = Stopwatch.StartNew();
        await UntilAsync(() => Task.FromResult(followers[0].Node is not null), TimeSpan.FromSeconds(30), "the first SSE follower to connect");
        await UntilAsync(() => Task.FromResult(run.Elapsed.TotalSeconds >= s.Duration / 2.0), TimeSpan.FromSeconds(s.Duration), "half the run");
        var start = DateTimeOffset.UtcNow.AddHours(2);
        var (winner, before) = await RaceAsync(proxyUrl, drivers, raceLot.Id, raceLot.SpaceIds[0], start, ct);
        var ackedBeforeKill = acknowledged.Count;
        // The node serving the first follower, so a stream certainly breaks.
        var victimName = followers[0].Node!;
        var victim = nodes[int.Parse(victimName.AsSpan(1), CultureInfo.InvariantCulture) - 1];
        victim.Kill();
        var killed = Stopwatch.StartNew();
        await using (var due = env.Db.CreateCommand($"update reservations set hold_expires_at = now() where id = '{winner}'")) await due.ExecuteNonQueryAsync(ct);
        await UntilAsync(async () => await env.ScalarAsync($"select count(*) from reservations where id = '{winner}' and status = 'held'", ct) == 0, TimeSpan.FromSeconds(60), "a survivor to expire the hold");
        var takeover = killed.Elapsed;
        var (_, after) = await RaceAsync(proxyUrl, drivers, raceLot.Id, raceLot.SpaceIds[0], start.AddHours(3), ct);
        await UntilAsync(() => Task.FromResult(run.Elapsed.TotalSeconds >= s.Duration), TimeSpan.FromSeconds(s.Duration + 60), "the end of the run");
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);
        var seconds = run.Elapsed.TotalSeconds;

        var spaces = env.City.Lots.SelectMany(l => l.SpaceIds).ToArray();
        var lost = int.MaxValue;
        await UntilAsync(async () =>
        {
            var stored = new HashSet<string>();
            await using var read = env.Db.CreateCommand("select space_id::text || '@' || (extract(epoch from observed_at) * 1000)::bigint from sensor_readings where observed_at > now() - interval '1 hour' and space_id = any($1)");
            read.Parameters.AddWithValue(spaces);
            await using (var rows = await read.ExecuteReaderAsync(ct)) while (await rows.ReadAsync(ct)) stored.Add(rows.GetString(0));
            lost = acknowledged.Keys.Count(k => !stored.Contains(k));
            return lost == 0;
        }, TimeSpan.FromSeconds(30), "acknowledged readings in the database", throwOnTimeout: false);
        var behind = 3;
        await UntilAsync(async () =>
        {
            var state = (await http.GetFromJsonAsync<JsonElement>($"/api/v1/lots/{lot.Id}/availability", ct)).GetProperty("spaces").EnumerateArray()
                .ToDictionary(x => x.GetProperty("spaceId").GetGuid(), x => x.GetProperty("status").GetString());
            behind = followers.Count(f => f.Latest.Any(kv => state.GetValueOrDefault(kv.Key) != kv.Value));
            return behind == 0;
        }, TimeSpan.FromSeconds(30), "SSE followers on the final state", throwOnTimeout: false);
        await stopFollowing.CancelAsync();
        await Task.WhenAll(following);

        var total = acknowledged.Count;
        c.Out.WriteLine($"   killed {victimName} (pid {victim.Pid})");
        c.Out.WriteLine($"   acknowledged {total:N0} readings (HTTP {httpAcks:N0}, MQTT {mqttAcks:N0}) in {seconds:F1} s, {ackedBeforeKill:N0} before the kill; lost {lost}; failed requests/publishes {failures}");
        c.Out.WriteLine($"   SSE: {followers.Sum(f => f.Reconnects)} reconnects, longest gap {followers.Max(f => f.LongestGap).TotalSeconds:F2} s, followers behind the database at the end: {behind}");
        c.Out.WriteLine($"   jobs: a due hold expired {takeover.TotalSeconds:F2} s after the kill; bookings of one space: before the kill {Describe(before)}, after {Describe(after)}");
        c.Report.Add("multinode", "acknowledged readings/s", total / seconds, "readings/s", note: $"HTTP {httpAcks:N0} + MQTT {mqttAcks:N0} through HAProxy, {victimName} killed halfway");
        c.Report.Add("multinode", "acknowledged readings lost", lost, "readings", 0, Better.Lower);
        c.Report.Add("multinode", "SSE longest gap", followers.Max(f => f.LongestGap).TotalMilliseconds, "ms", note: $"{followers.Sum(f => f.Reconnects)} reconnects with Last-Event-ID; {behind} followers behind at the end");
        c.Report.Add("multinode", "job takeover", takeover.TotalMilliseconds, "ms", note: "kill → a due hold expired by a survivor's scheduled jobs (Reservations:SweepSeconds 5)");
        var oneWinner = new[] { before, after }.Count(race => race.Count(x => x == HttpStatusCode.Created) == 1 && race.Count(x => x == HttpStatusCode.Conflict) == DriversPerRace - 1);
        c.Report.Add("multinode", "races with exactly one winner", oneWinner, "of 2", 2,
            note: $"{DriversPerRace} drivers booking one space; before the kill {Describe(before)}, after {Describe(after)}");
    }

    private static string Describe(IEnumerable<HttpStatusCode> outcomes) => string.Join(", ", outcomes.GroupBy(x => x).Select(g => $"{(int)g.Key}×{g.Count()}"));

    private static async Task UntilAsync(Func<Task<bool>> done, TimeSpan timeout, string what, bool throwOnTimeout = true)
    {
        var deadline = Stopwatch.StartNew();
        while (!await done())
        {
            if (deadline.Elapsed > timeout)
            {
                if (throwOnTimeout) throw new TimeoutException($"Gave up waiting for {what}.");
                return;
            }
            await Task.Delay(50);
        }
    }

    private static async Task<(Guid Winner, List<HttpStatusCode> Outcomes)> RaceAsync(Uri proxy, string[] drivers, Guid lotId, Guid spaceId, DateTimeOffset start, CancellationToken ct)
    {
        var results = await Task.WhenAll(drivers.Select(async token =>
        {
            using var client = new HttpClient { BaseAddress = proxy, Timeout = TimeSpan.FromSeconds(20) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceId, start, end = start.AddHours(1) }, ct);
            var id = response.StatusCode == HttpStatusCode.Created ? (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid() : Guid.Empty;
            return (response.StatusCode, id);
        }));
        return (results.FirstOrDefault(r => r.StatusCode == HttpStatusCode.Created).id, [.. results.Select(r => r.StatusCode)]);
    }
}
