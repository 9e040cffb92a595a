using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using SmartParking.Simulator;

namespace SmartParking.Bench;

/// <summary>What every benchmark gets: the running system, the options, the report, and the one clock for observation times.</summary>
internal sealed record BenchContext(BenchEnvironment Env, BenchSettings Settings, Report Report, TextWriter Out, UniqueClock Clock)
{
    /// <summary>The lot the freshness probe flips; the ingest loads leave it alone so its stream carries only the probe's changes.</summary>
    public SeededLot ProbeLot => Env.City.Lots[0];

    /// <summary>Whether every sensor has reported once, so the server's sensor directory no longer goes to the database.</summary>
    public bool DirectoryWarm { get; set; }

    /// <summary>
    /// One reading from every sensor unless that already happened in this run: a load measured against a cold directory
    /// measures the first-lookup queries, not the steady state.
    /// </summary>
    public async Task<IngestLoadResult?> WarmDirectoryAsync(CancellationToken ct)
    {
        if (DirectoryWarm) return null;
        using var http = IngestLoad.CreateClient(Env.Server.BaseUrl, Settings.IngestClients, Env.City.GatewayKey);
        var result = await new IngestLoad(http, Clock).EverySensorOnceAsync(Env.City.SerialsExcept(ProbeLot.Id), Settings.IngestClients, Settings.Batch, null);
        ct.ThrowIfCancellationRequested();
        DirectoryWarm = true;
        return result;
    }

    /// <summary>
    /// Rows in sensor_readings once the writer has caught up. Everything acknowledged is already committed; the wait is
    /// for readings whose request gave up before they were durable and that land afterwards.
    /// </summary>
    public async Task<long> SettledReadingCountAsync(CancellationToken ct)
    {
        var last = await Env.ScalarAsync("select count(*) from sensor_readings", ct);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(1000, ct);
            var now = await Env.ScalarAsync("select count(*) from sensor_readings", ct);
            if (now == last) return now;
            last = now;
        }
        return last;
    }

    public void Header(string title, string what)
    {
        Out.WriteLine();
        Out.WriteLine($"== {title} (load average {Machine.LoadAverage()})");
        Out.WriteLine($"   {what}");
    }
}

/// <summary>a. HTTP batches under the gateway key: how many readings a second become durable, and none lost.</summary>
internal static class IngestHttpBench
{
    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        c.Header("ingest-http", $"{s.IngestClients} clients posting batches of {s.Batch} readings for {s.Duration} s, gateway key; 202 = durable");
        using var http = IngestLoad.CreateClient(c.Env.Server.BaseUrl, s.IngestClients, c.Env.City.GatewayKey);
        var load = new IngestLoad(http, c.Clock);
        var serials = c.Env.City.SerialsExcept(c.ProbeLot.Id);

        // The server resolves a serial with one query the first time it sees it, then from memory; a real city's
        // morning after a restart looks like this pass.
        var cold = await load.EverySensorOnceAsync(serials, s.IngestClients, s.Batch, null);
        c.DirectoryWarm = true;
        c.Out.WriteLine($"   first reading of each of {serials.Length:N0} sensors (cold sensor directory): {cold.Describe()}");
        c.Out.WriteLine($"   batch latency (cold): {cold.BatchLatency.Summarize()}");
        c.Report.Add("ingest-http", "first reading of every sensor (cold directory)", cold.Rate, "readings/s", note: "one DB lookup per unseen serial");

        // JIT, connection pools and the writer's caches warm up before anything is measured.
        await load.RunAsync(serials, s.IngestClients, s.Batch, 0, TimeSpan.FromSeconds(3), null, ct);

        var before = await c.SettledReadingCountAsync(ct);
        var metricsBefore = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        await PgStats.ResetAsync(c.Env.Db, ct);
        var profiler = Profiler.Start(c, "ingest-http", TimeSpan.FromSeconds(2), Math.Max(3, Math.Min(15, s.Duration - 4)));
        var cpuBefore = c.Env.Cpu.Take();
        var result = await load.RunAsync(serials, s.IngestClients, s.Batch, 0, TimeSpan.FromSeconds(s.Duration), c.Out, ct);
        var cpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        var after = await c.SettledReadingCountAsync(ct);
        var metricsAfter = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var stored = after - before;

        c.Out.WriteLine($"   {result.Describe()}");
        c.Out.WriteLine($"   batch latency: {result.BatchLatency.Summarize()}");
        c.Out.WriteLine($"   {cpu}");
        c.Out.WriteLine($"   verification: acknowledged {result.Acked:N0}, rows added to sensor_readings {stored:N0} " +
            (stored == result.Acked ? "(equal: no reading lost)" :
             stored > result.Acked ? $"({stored - result.Acked:N0} more: readings of 503 'not yet durable' answers landed later — {result.NotYetDurable:N0} were in that state)" :
             $"(LOST {result.Acked - stored:N0} acknowledged readings)"));
        var writes = ServerMetrics.Delta(metricsBefore, metricsAfter, "smartparking_ingest_batch_duration_seconds_count");
        var writeSeconds = ServerMetrics.Delta(metricsBefore, metricsAfter, "smartparking_ingest_batch_duration_seconds_sum");
        if (writes > 0)
            c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   server writer: {writes:N0} database writes, mean {writeSeconds / writes * 1000:F1} ms each, {stored / writes:N0} readings per write, writer busy {writeSeconds / result.Seconds * 100:F0}% of the run"));
        c.Out.WriteLine($"   {ServerMetrics.Runtime(metricsBefore, metricsAfter, result.Seconds, result.Acked / 1000.0, "1000 readings")}");
        await PgStats.PrintAsync(c.Env.Db, c.Out, result.Seconds, ct);
        if (profiler is not null) await profiler.PrintAsync(c.Out);

        var rollups = s.NoRollups ? "rollups off" : "rollups on";
        c.Report.Add("ingest-http", "acknowledged readings/s", result.Rate, "readings/s", 50_000, Better.Higher, $"{s.IngestClients} clients × {s.Batch}/batch; {rollups}; {cpu.Server:F0}% server, {cpu.Postgres:F0}% PG, {cpu.Harness:F0}% harness CPU");
        c.Report.Add("ingest-http", "batch latency p99", result.BatchLatency.Summarize().P99, "ms", note: $"p50 {result.BatchLatency.Summarize().P50:F0} ms");
        c.Report.Add("ingest-http", "acknowledged but not stored", Math.Max(0, result.Acked - stored), "readings", 0, Better.Lower, $"acknowledged {result.Acked:N0}, stored {stored:N0}");
        if (!s.NoRollups) await RollupCatchUpAsync(c, ct);
    }

    /// <summary>
    /// The rollups' share of the cost: how many SpaceStatusChanged events the rollup subscriber still had to handle when
    /// the load stopped, and how long it took to catch up (its checkpoint reaching the log's end).
    /// </summary>
    private static async Task RollupCatchUpAsync(BenchContext c, CancellationToken ct)
    {
        const string backlog = """
            select coalesce((select max(position) from domain_events), 0) - coalesce((select position from event_checkpoints where subscriber = 'analytics.rollups'), 0)
            """;
        var behind = await c.Env.ScalarAsync(backlog, ct);
        var clock = Stopwatch.StartNew();
        var left = behind;
        while (left > 0 && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(500, ct);
            left = await c.Env.ScalarAsync(backlog, ct);
        }
        var caughtUp = left <= 0 ? $"caught up {clock.Elapsed.TotalSeconds:F1} s after the load" : $"still {left:N0} events behind after 3 minutes";
        c.Out.WriteLine($"   rollup subscriber: {behind:N0} events behind when the load stopped; {caughtUp}");
        c.Report.Add("ingest-http", "rollup subscriber backlog at end of load", behind, "events", note: caughtUp);
    }
}

/// <summary>b. The same over MQTT QoS 1, one connection per device; skipped while the server has no MQTT listener.</summary>
internal static class IngestMqttBench
{
    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        var port = c.Env.Server.MqttPort;
        c.Header("ingest-mqtt", $"{s.MqttConnections} device connections, QoS 1, {s.MqttInflight} publishes in flight each, for {s.Duration} s; PUBACK = durable");
        if (!await ListensAsync(port, ct))
        {
            var why = $"skipped: the server does not listen for MQTT on 127.0.0.1:{port} (option Mqtt:Port). The MQTT transport is not in this build.";
            c.Out.WriteLine("   " + why);
            c.Report.Add("ingest-mqtt", "acknowledged readings/s", double.NaN, "readings/s", 50_000, Better.Higher, why);
            return;
        }

        var devices = c.Env.City.Lots.Where(l => l.Id != c.ProbeLot.Id).SelectMany(l => l.Serials).Take(s.MqttConnections).ToList();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clients = new List<(MqttClient Client, string Serial)>();
        var connectClock = Stopwatch.StartNew();
        try
        {
            using var gate = new SemaphoreSlim(32);
            var connecting = devices.Select(async serial =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    var client = new MqttClient(window: s.MqttInflight);
                    // The client's reader runs on the token given here, so it is the run's token; the wait is bounded apart.
                    await client.ConnectAsync("127.0.0.1", port, "bench-" + serial, serial, CitySeeder.SecretOf(serial), stop.Token).WaitAsync(TimeSpan.FromSeconds(15), ct);
                    lock (clients) clients.Add((client, serial));
                }
                finally { gate.Release(); }
            }).ToList();
            await Task.WhenAll(connecting);
            c.Out.WriteLine($"   connected {clients.Count:N0} devices in {connectClock.Elapsed.TotalSeconds:F1} s");

            var before = await c.SettledReadingCountAsync(ct);
            await PgStats.ResetAsync(c.Env.Db, ct);
            var metricsBefore = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
            var cpuBefore = c.Env.Cpu.Take();
            var duration = TimeSpan.FromSeconds(s.Duration);
            long acked = 0, failed = 0;
            var latencies = new Latencies();
            var run = Stopwatch.StartNew();
            var workers = clients.SelectMany(cl => Enumerable.Range(0, s.MqttInflight).Select(k => Task.Run(async () =>
            {
                var random = new Random(HashCode.Combine(cl.Serial, k));
                var topic = $"parking/sensors/{cl.Serial}/status";
                var mine = new Latencies();
                while (run.Elapsed < duration)
                {
                    var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                        $"{{\"status\":\"{(random.Next(2) == 0 ? "free" : "occupied")}\",\"observedAt\":\"{c.Clock.Next():O}\"}}"));
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        // Not cancelled at the end of the run: a publish in flight is waited for, so its PUBACK is counted.
                        await cl.Client.PublishAsync(topic, payload, 1, stop.Token);
                        mine.Add(Latencies.Ms(started, Stopwatch.GetTimestamp()));
                        Interlocked.Increment(ref acked);
                    }
                    catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
                    {
                        Interlocked.Increment(ref failed);
                        return;
                    }
                }
                lock (latencies) latencies.AddRange(mine);
            }))).ToList();
            var progress = Task.Run(async () =>
            {
                long last = 0;
                while (!Task.WhenAll(workers).IsCompleted)
                {
                    await Task.WhenAny(Task.WhenAll(workers), Task.Delay(2000, CancellationToken.None));
                    var now = Interlocked.Read(ref acked);
                    c.Out.WriteLine($"  {run.Elapsed.TotalSeconds,5:F0} s  acknowledged {now,11:N0}  {(now - last) / 2.0,8:N0}/s  failed {Interlocked.Read(ref failed),6:N0}");
                    last = now;
                }
            }, CancellationToken.None);
            // A hung server must not hang the harness: the run plus a grace period, then in-flight publishes are abandoned.
            stop.CancelAfter(duration + TimeSpan.FromSeconds(30));
            try { await Task.WhenAll(workers); } catch (OperationCanceledException) { }
            await progress;
            var seconds = run.Elapsed.TotalSeconds;
            var cpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
            var stored = await c.SettledReadingCountAsync(ct) - before;
            var metricsAfter = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
            var rate = acked / seconds;
            c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   acknowledged {acked:N0} readings in {seconds:F1} s = {rate:N0} readings/s; failed connections {failed:N0}"));
            c.Out.WriteLine($"   publish→PUBACK latency: {latencies.Summarize()}");
            c.Out.WriteLine($"   {cpu}");
            c.Out.WriteLine($"   verification: acknowledged {acked:N0}, rows added to sensor_readings {stored:N0} {(stored == acked ? "(equal: no reading lost)" : stored > acked ? "(more: publishes abandoned at the end still landed)" : $"(LOST {acked - stored:N0})")}");
            var writes = ServerMetrics.Delta(metricsBefore, metricsAfter, "smartparking_ingest_batch_duration_seconds_count");
            var writeSeconds = ServerMetrics.Delta(metricsBefore, metricsAfter, "smartparking_ingest_batch_duration_seconds_sum");
            if (writes > 0)
                c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   server writer: {writes:N0} database writes, mean {writeSeconds / writes * 1000:F1} ms each, {stored / writes:N0} readings per write, writer busy {writeSeconds / seconds * 100:F0}% of the run"));
            c.Out.WriteLine($"   {ServerMetrics.Runtime(metricsBefore, metricsAfter, seconds, acked / 1000.0, "1000 readings")}");
            await PgStats.PrintAsync(c.Env.Db, c.Out, seconds, ct);
            c.Report.Add("ingest-mqtt", "acknowledged readings/s", rate, "readings/s", 50_000, Better.Higher, $"{clients.Count} connections × {s.MqttInflight} in flight; {cpu.Server:F0}% server, {cpu.Postgres:F0}% PG, {cpu.Harness:F0}% harness CPU");
            c.Report.Add("ingest-mqtt", "PUBACK latency p99", latencies.Summarize().P99, "ms", note: $"p50 {latencies.Summarize().P50:F0} ms");
            c.Report.Add("ingest-mqtt", "acknowledged but not stored", Math.Max(0, acked - stored), "readings", 0, Better.Lower, $"acknowledged {acked:N0}, stored {stored:N0}");
        }
        finally
        {
            foreach (var (client, _) in clients)
            {
                try { await client.DisposeAsync(); }
                catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
            }
        }
    }

    private static async Task<bool> ListensAsync(int port, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(3), ct);
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException) { return false; }
    }
}
