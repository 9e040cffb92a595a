using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SmartParking.Bench;

/// <summary>c. From a sensor's reading to the driver's screen: POST one flip, time until the SSE event for it arrives.</summary>
internal static class FreshnessBench
{
    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        var lot = c.ProbeLot;
        c.Header("freshness", $"{s.Samples} single-reading flips on lot {lot.Id} ({lot.SpaceIds.Length} spaces), timed from just before the POST to the matching SSE event; idle, then under {s.BackgroundRate:N0} readings/s of HTTP ingest on other lots");
        using var http = IngestLoad.CreateClient(c.Env.Server.BaseUrl, 1, c.Env.City.GatewayKey);
        var statuses = await CurrentStatusesAsync(http, lot, ct);
        await using var sse = await SseListener.ConnectAsync(c.Env.Server.BaseUrl, lot.Id, TimeSpan.FromSeconds(15));

        // A few untimed flips warm up the path (JIT, pooled connections) before the samples count.
        await ProbeAsync(c, http, sse, lot, statuses, 20, ct);
        var idle = await ProbeAsync(c, http, sse, lot, statuses, s.Samples, ct);
        Print(c, "idle", idle);

        if (await c.WarmDirectoryAsync(ct) is { } warm)
            c.Out.WriteLine($"   warmed the server's sensor directory first (one reading per sensor): {warm.Describe()}");
        // As many clients as the ingest benchmark: each waits for its batch to be durable, so too few clients would cap
        // the background rate below what the server can take.
        using var backgroundHttp = IngestLoad.CreateClient(c.Env.Server.BaseUrl, s.IngestClients, c.Env.City.GatewayKey);
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var background = new IngestLoad(backgroundHttp, c.Clock)
            .RunAsync(c.Env.City.SerialsExcept(lot.Id), s.IngestClients, s.Batch, s.BackgroundRate, TimeSpan.FromMinutes(10), null, stopLoad.Token);
        ProbeResult loaded;
        CpuUsage cpu;
        try
        {
            await Task.Delay(3000, ct);
            var cpuBefore = c.Env.Cpu.Take();
            loaded = await ProbeAsync(c, http, sse, lot, statuses, s.Samples, ct);
            cpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        }
        finally { await stopLoad.CancelAsync(); }
        var load = await background;
        Print(c, $"under load", loaded);
        c.Out.WriteLine($"   background load: {load.Describe()}");
        var saturated = load.Rate < s.BackgroundRate * 0.9;
        if (saturated)
            c.Out.WriteLine($"   the background load reached less than 90% of the {s.BackgroundRate:N0} readings/s asked for ({s.IngestClients} clients, each waiting for its batch to be durable): the ingest pipeline was saturated, so the loaded figures include its queueing (try --background-rate below the ingest-http rate, or more --ingest-clients)");
        c.Out.WriteLine($"   {cpu}");

        foreach (var (phase, r) in new[] { ("idle", idle), ("under load", loaded) })
        {
            var sum = r.Sse.Summarize();
            var note = $"p50 {sum.P50:F1}, p90 {sum.P90:F1}, max {sum.Max:F1} ms; POST→202 p50 {r.Post.Summarize().P50:F1} ms" + (r.Missed > 0 ? $"; {r.Missed} events never arrived" : "");
            if (phase == "under load") note += $"; background {load.Rate:N0} of {s.BackgroundRate:N0} readings/s acknowledged{(saturated ? " (server saturated)" : "")}";
            c.Report.Add("freshness", phase == "idle" ? "reading→SSE p99 (idle)" : $"reading→SSE p99 (under {s.BackgroundRate:N0}/s ingest)", sum.P99, "ms", 50, Better.Lower, note);
        }
    }

    private sealed record ProbeResult(Latencies Sse, Latencies Post, int Missed);

    private static void Print(BenchContext c, string phase, ProbeResult r)
    {
        c.Out.WriteLine($"   {phase}: reading→SSE {r.Sse.Summarize()}");
        c.Out.WriteLine($"   {phase}: POST→202     {r.Post.Summarize()}{(r.Missed > 0 ? $"; {r.Missed} events did not arrive within 5 s" : "")}");
    }

    private static async Task<string[]> CurrentStatusesAsync(HttpClient http, SeededLot lot, CancellationToken ct)
    {
        var body = await http.GetFromJsonAsync<JsonElement>($"/api/v1/lots/{lot.Id}/availability", ct);
        var byId = body.GetProperty("spaces").EnumerateArray().ToDictionary(e => e.GetProperty("spaceId").GetGuid(), e => e.GetProperty("status").GetString() ?? "unknown");
        return lot.SpaceIds.Select(id => byId.GetValueOrDefault(id, "unknown")).ToArray();
    }

    private static async Task<ProbeResult> ProbeAsync(BenchContext c, HttpClient http, SseListener sse, SeededLot lot, string[] statuses, int samples, CancellationToken ct)
    {
        var result = new ProbeResult(new Latencies(), new Latencies(), 0);
        var missed = 0;
        // Under overload every sample can take a second; the cap keeps the run bounded, and the count says how many were taken.
        var phase = Stopwatch.StartNew();
        for (var i = 0; i < samples && phase.Elapsed < TimeSpan.FromMinutes(3); i++)
        {
            var k = i % lot.SpaceIds.Length;
            // Always the opposite of what the space shows, so every reading is a change and produces an event.
            var target = statuses[k] == "free" ? "occupied" : "free";
            while (sse.Changes.TryRead(out _)) { }
            var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"{{\"readings\":[{{\"sensorId\":\"{lot.Serials[k]}\",\"status\":\"{target}\",\"observedAt\":\"{c.Clock.Next():O}\"}}]}}"));
            var started = Stopwatch.GetTimestamp();
            using (var content = new ByteArrayContent(body))
            {
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("/api/v1/ingest/readings", content, ct);
                var answered = Stopwatch.GetTimestamp();
                if (response.StatusCode != HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"The probe reading was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                result.Post.Add(Latencies.Ms(started, answered));
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                while (true)
                {
                    var change = await sse.Changes.ReadAsync(wait.Token);
                    if (change.SpaceId != lot.SpaceIds[k] || change.Status != target) continue;
                    result.Sse.Add(Latencies.Ms(started, change.ArrivedAt));
                    break;
                }
                statuses[k] = target;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Each miss costs the 5 s wait; past a handful the stream is broken and the rest would only add time.
                if (++missed > 20) throw new InvalidOperationException($"More than 20 status changes never reached the availability stream (after {i + 1} samples).");
                // The state is unknown now; asking is cheaper than guessing and keeps later flips real changes.
                statuses[k] = (await CurrentStatusesAsync(http, lot, ct))[k];
            }
        }
        return result with { Missed = missed };
    }
}

/// <summary>d. Nearby availability: many keep-alive clients asking for lots around random points of the city.</summary>
internal static class NearbyBench
{
    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        var box = c.Env.City.Box;
        var limit = s.NearbyLimit is { } n ? $"&limit={n}" : "";
        c.Header("nearby", $"{s.NearbyClients} keep-alive clients, GET /api/v1/availability?lat&lng&radius=1000{limit} at random points of the city, {s.NearbyDuration} s, {c.Env.City.Lots.Length:N0} lots");
        c.Out.WriteLine($"   note: the load generator runs on the same {Environment.ProcessorCount} cores as the server and PostgreSQL, so it takes CPU the server would otherwise have.");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = s.NearbyClients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = c.Env.Server.BaseUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };

        var (centerLat, centerLng) = (box.MinLat + box.LatSpan / 2, box.MinLng + box.LngSpan / 2);
        var sample = await http.GetByteArrayAsync(Url(centerLat, centerLng, limit), ct);
        var lots = JsonDocument.Parse(sample).RootElement.GetArrayLength();
        c.Out.WriteLine($"   a query at the centre returns {lots} lots ({sample.Length:N0} bytes of JSON)");

        await RunClientsAsync(http, box, limit, s.NearbyClients, TimeSpan.FromSeconds(3), ct);
        var profiler = Profiler.Start(c, "nearby", TimeSpan.FromSeconds(2), Math.Max(3, Math.Min(10, s.NearbyDuration - 4)));
        var metricsBefore = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var cpuBefore = c.Env.Cpu.Take();
        var (requests, errors, latencies, seconds) = await RunClientsAsync(http, box, limit, s.NearbyClients, TimeSpan.FromSeconds(s.NearbyDuration), ct);
        var cpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        var metricsAfter = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        if (profiler is not null) await profiler.PrintAsync(c.Out);
        var rate = requests / seconds;
        var sum = latencies.Summarize();
        c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   harness: {requests:N0} requests in {seconds:F1} s = {rate:N0} req/s; errors {errors:N0}"));
        c.Out.WriteLine($"   harness latency: {sum}");
        c.Out.WriteLine($"   {cpu}");
        c.Out.WriteLine($"   {ServerMetrics.Runtime(metricsBefore, metricsAfter, seconds, requests + errors, "request")}");
        c.Report.Add("nearby", $"req/s (harness client{limit})", rate, "req/s", 20_000, Better.Higher, $"{s.NearbyClients} connections; {cpu.Server:F0}% server, {cpu.Harness:F0}% harness CPU; ~{lots} lots/answer");
        c.Report.Add("nearby", $"latency p99 (harness client{limit})", sum.P99, "ms", 10, Better.Lower, $"p50 {sum.P50:F2} ms; includes client-side queueing on a shared CPU");

        if (s.NoWrk) return;
        if (Shell.FindOnPath("wrk") is not { } wrk)
        {
            c.Out.WriteLine("   wrk is not installed (apt-get install -y wrk); only the harness's own client was measured.");
            return;
        }
        await RunWrkAsync(c, wrk, box, limit, ct);
    }

    private static string Url(double lat, double lng, string limit) =>
        string.Create(CultureInfo.InvariantCulture, $"/api/v1/availability?lat={lat:F6}&lng={lng:F6}&radius=1000{limit}");

    private static async Task<(long Requests, long Errors, Latencies Latencies, double Seconds)> RunClientsAsync(
        HttpClient http, CityBox box, string limit, int clients, TimeSpan duration, CancellationToken ct)
    {
        long requests = 0, errors = 0;
        var all = new Latencies();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var random = new Random(31337 + w);
            var mine = new Latencies();
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var (lat, lng) = box.RandomPoint(random);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync(Url(lat, lng, limit), HttpCompletionOption.ResponseContentRead, ct);
                    mine.Add(Latencies.Ms(started, Stopwatch.GetTimestamp()));
                    if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref requests);
                    else Interlocked.Increment(ref errors);
                }
                catch (HttpRequestException) { Interlocked.Increment(ref errors); }
            }
            lock (all) all.AddRange(mine);
        }, ct)));
        return (requests, errors, all, clock.Elapsed.TotalSeconds);
    }

    private static async Task RunWrkAsync(BenchContext c, string wrk, CityBox box, string limit, CancellationToken ct)
    {
        var s = c.Settings;
        // Random points inside the same city box, one request at a time per connection, as the harness client does.
        var script = Path.Combine(c.Env.Directory, "nearby.lua");
        await File.WriteAllTextAsync(script, string.Create(CultureInfo.InvariantCulture, $$"""
            local counter = 0
            function setup(thread)
              counter = counter + 1
              thread:set("id", counter)
            end
            function init(args)
              math.randomseed(1000 + (id or 0))
            end
            function request()
              local lat = {{box.MinLat:F6}} + math.random() * {{box.LatSpan:F6}}
              local lng = {{box.MinLng:F6}} + math.random() * {{box.LngSpan:F6}}
              return wrk.format("GET", string.format("/api/v1/availability?lat=%.6f&lng=%.6f&radius=1000{{limit}}", lat, lng))
            end
            """), ct);
        string[] args = ["-t2", $"-c{s.WrkConnections}", $"-d{s.NearbyDuration}s", "--latency", "--timeout", "10s", "-s", script, c.Env.Server.BaseUrl.ToString().TrimEnd('/')];
        c.Out.WriteLine($"   wrk {string.Join(' ', args)}");
        var metricsBefore = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var cpuBefore = c.Env.Cpu.Take();
        var started = Stopwatch.GetTimestamp();
        var info = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start wrk.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(s.NearbyDuration + 60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            c.Out.WriteLine("   wrk did not finish in time; its numbers are not reported.");
            return;
        }
        var cpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var metricsAfter = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var output = await stdout + await stderr;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries)) c.Out.WriteLine("   | " + line.TrimEnd());
        // wrk counts as "harness" only when it is this process; here it is its own process, so it shows up as "other".
        c.Out.WriteLine($"   {cpu} (wrk is in 'other')");
        var rate = Parse(output, "Requests/sec:");
        c.Out.WriteLine($"   {ServerMetrics.Runtime(metricsBefore, metricsAfter, elapsed, rate * elapsed, "request")}");
        var p50 = ParseLatency(output, "50%");
        var p99 = ParseLatency(output, "99%");
        var non2xx = output.Split('\n').FirstOrDefault(l => l.Contains("Non-2xx", StringComparison.Ordinal))?.Trim();
        c.Report.Add("nearby", $"req/s (wrk{limit})", rate, "req/s", 20_000, Better.Higher, $"wrk -t2 -c{s.WrkConnections}; {cpu.Server:F0}% server CPU{(non2xx is null ? "" : "; " + non2xx)}");
        c.Report.Add("nearby", $"latency p99 (wrk{limit})", p99, "ms", 10, Better.Lower, $"p50 {p50:F2} ms");
    }

    private static double Parse(string output, string label)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(label, StringComparison.Ordinal));
        return line is not null && double.TryParse(line.Trim()[label.Length..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
    }

    /// <summary>wrk prints "99%   12.34ms" (or us, s) under Latency Distribution.</summary>
    private static double ParseLatency(string output, string percentile)
    {
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(percentile + " ", StringComparison.Ordinal));
        if (line is null) return double.NaN;
        var text = line[percentile.Length..].Trim();
        var (number, factor) = text.EndsWith("us", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60_000.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : (text, double.NaN);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v * factor : double.NaN;
    }
}

/// <summary>e. The server's resident memory with the whole city loaded, from /proc.</summary>
internal static class MemoryBench
{
    public static async Task RunAsync(BenchContext c, string phase, CancellationToken ct)
    {
        // A moment for start-up (or the last load's) garbage to be collected, so the figure is the steady footprint.
        await Task.Delay(2000, ct);
        var (rss, peak) = c.Env.Server.Memory();
        var metrics = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var heap = ServerMetrics.Sum(metrics, "dotnet_gc_last_collection_heap_size_bytes") / 1024 / 1024;
        c.Header($"memory ({phase})", $"server pid {c.Env.Server.Pid}, {c.Env.City.Spaces:N0} spaces in {c.Env.City.Lots.Length:N0} lots");
        c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   VmRSS {rss:F0} MB ({rss / 500:F2}× the 500 MB limit), peak VmHWM {peak:F0} MB{(heap > 0 ? $", GC heap after last collection {heap:F0} MB" : "")}"));
        c.Report.Add("memory", $"RSS {phase}", rss, "MB", 500, Better.Lower, $"peak {peak:F0} MB" + (heap > 0 ? $"; GC heap {heap:F0} MB" : ""));
    }
}

/// <summary>
/// The city's cost with nobody using it: the scheduled jobs (the rollups' minute sample, the sensor health sweep and the
/// others) run on their own, and whatever they take is taken from every request of a busy box.
/// </summary>
internal static class IdleBench
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        c.Header("idle", $"no traffic for {Window.TotalSeconds:F0} s (every job that runs each minute runs at least twice), {c.Env.City.Spaces:N0} spaces in {c.Env.City.Lots.Length:N0} lots");
        await PgStats.ResetAsync(c.Env.Db, ct);
        var before = c.Env.Cpu.Take();
        await Task.Delay(Window, ct);
        var cpu = CpuSampler.Between(before, c.Env.Cpu.Take());
        c.Out.WriteLine($"   {cpu}");
        await PgStats.PrintAsync(c.Env.Db, c.Out, Window.TotalSeconds, ct);
        c.Report.Add("idle", "CPU with no traffic, server + PostgreSQL (100% = one core)", cpu.Server + cpu.Postgres, "%", null, Better.Lower,
            string.Create(CultureInfo.InvariantCulture, $"server {cpu.Server:F0}%, PostgreSQL {cpu.Postgres:F0}%"));
    }
}

/// <summary>The server's own Prometheus figures (ingest writer timings, GC heap), to explain what the outside saw.</summary>
internal static class ServerMetrics
{
    public static async Task<Dictionary<string, double>> ScrapeAsync(Uri baseUrl, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var line in (await http.GetStringAsync("/metrics", ct)).Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#') continue;
                var space = line.LastIndexOf(' ');
                if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    series[line[..space]] = value;
            }
        }
        catch (HttpRequestException) { }
        return series;
    }

    /// <summary>All series of a metric added up (whatever their labels).</summary>
    public static double Sum(Dictionary<string, double> series, string name) =>
        series.Where(kv => kv.Key == name || kv.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(kv => kv.Value);

    public static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string name) => Sum(after, name) - Sum(before, name);

    /// <summary>
    /// Runs <paramref name="load"/> in rounds until the server's JIT has settled: a freshly started server spends its first
    /// 10-20 s under load re-compiling hot methods (tiered compilation), a third of its CPU on this box, which a server
    /// that has run for a while does not. Says how long the warm-up took and how busy the JIT still was at its end.
    /// </summary>
    public static async Task<string> WarmUntilJitSettledAsync(Uri baseUrl, Func<TimeSpan, Task> load, CancellationToken ct)
    {
        var round = TimeSpan.FromSeconds(3);
        var started = Stopwatch.GetTimestamp();
        var share = 0.0;
        for (var i = 0; i < 15; i++)
        {
            var before = await ScrapeAsync(baseUrl, ct);
            await load(round);
            share = Delta(before, await ScrapeAsync(baseUrl, ct), "dotnet_jit_compilation_time_seconds_total") / round.TotalSeconds;
            if (share < 0.02) break; // under 2% of a core: steady state
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"warmed up {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s, until the server's JIT used {share * 100:F1}% of a core");
    }

    /// <summary>Allocation and GC between two scrapes: on two shared cores, collection work is taken straight from requests.</summary>
    public static string Runtime(Dictionary<string, double> before, Dictionary<string, double> after, double seconds, double operations, string per)
    {
        var allocated = Delta(before, after, "dotnet_gc_heap_total_allocated_bytes_total");
        if (allocated <= 0 || seconds <= 0) return "server runtime: no figures (/metrics unavailable)";
        double Gen(string g) => Delta(before, after, $"dotnet_gc_collections_total{{gc_heap_generation=\"{g}\"}}");
        var pause = Delta(before, after, "dotnet_gc_pause_time_seconds_total");
        var cpu = Delta(before, after, "dotnet_process_cpu_time_seconds_total");
        return string.Create(CultureInfo.InvariantCulture,
            $"server runtime: allocated {allocated / seconds / 1024 / 1024:F0} MB/s ({(operations > 0 ? allocated / operations / 1024 : double.NaN):F1} KB per {per}); " +
            $"GCs gen0/gen1/gen2 {Gen("gen0"):F0}/{Gen("gen1"):F0}/{Gen("gen2"):F0}; GC pauses {pause / seconds * 100:F1}% of wall time; " +
            $"server CPU {(operations > 0 ? cpu / operations * 1e6 : double.NaN):F0} µs per {per}");
    }
}
