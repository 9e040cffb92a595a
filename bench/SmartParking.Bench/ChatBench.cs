using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SmartParking.Bench;

/// <summary>
/// The chat assistant through Rasa's REST channel: each client is one anonymous user holding a conversation (greeting,
/// parking near a point, a price for two hours, a question it must ask back, thanks), so every message is parsed by the
/// NLU, answered by the dialogue and its conversation row read and written in PostgreSQL.
/// </summary>
internal static class ChatBench
{
    /// <summary>The rate the issue asks for; the latency target holds at it.</summary>
    private const double TargetRate = 2_000;

    private static readonly TimeSpan LeadIn = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        c.Header("chat", $"{s.NearbyClients} keep-alive clients, each a user talking to POST /webhooks/rest/webhook, {s.NearbyDuration} s flat out, " +
            $"then {s.NearbyDuration} s at {TargetRate:N0} msg/s after {LeadIn.TotalSeconds:F0} s at that rate not counted");
        c.Out.WriteLine($"   note: the load generator runs on the same {Environment.ProcessorCount} cores as the server and PostgreSQL.");
        var server = c.Env.Server.BaseUrl;
        // One connection per user, kept through every run as a client keeps its own.
        var connections = Enumerable.Range(0, s.NearbyClients).Select(_ => new LeanHttpConnection(server)).ToArray();
        try
        {
            await RunAsync(c, connections, ct);
        }
        finally
        {
            foreach (var connection in connections) connection.Dispose();
        }
    }

    private static async Task RunAsync(BenchContext c, LeanHttpConnection[] connections, CancellationToken ct)
    {
        var s = c.Settings;
        var box = c.Env.City.Box;
        var server = c.Env.Server.BaseUrl;
        var warm = await ServerMetrics.WarmUntilJitSettledAsync(c.Env.Server.BaseUrl, d => RunClientsAsync(server, connections, box, d, null, ct), ct);
        c.Out.WriteLine($"   {warm}");
        // What the city's background jobs (rollup sampling, sensor health sweep) take with no message at all: the paced
        // run's CPU per message below carries this share too.
        var idleBefore = c.Env.Cpu.Take();
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        c.Out.WriteLine($"   idle for 5 s before the runs: {CpuSampler.Between(idleBefore, c.Env.Cpu.Take())}");

        // Throughput: every user sends its next message as soon as the last is answered, so the server never waits for work.
        var profiler = Profiler.Start(c, "chat", TimeSpan.FromSeconds(2), Math.Max(3, Math.Min(10, s.NearbyDuration - 4)));
        var metricsBefore = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        await PgStats.ResetAsync(c.Env.Db, ct);
        var cpuBefore = c.Env.Cpu.Take();
        var flat = await RunClientsAsync(server, connections, box, TimeSpan.FromSeconds(s.NearbyDuration), null, ct);
        var cpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        var metricsAfter = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var rate = flat.Messages / flat.Seconds;
        c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   flat out: {flat.Messages:N0} messages answered in {flat.Seconds:F1} s = {rate:N0} msg/s; errors {flat.Errors:N0}"));
        c.Out.WriteLine($"   latency flat out (queueing behind {s.NearbyClients} users, not a target): {flat.Latencies.Summarize()}");
        c.Out.WriteLine($"   {cpu}");
        c.Out.WriteLine($"   {ServerMetrics.Runtime(metricsBefore, metricsAfter, flat.Seconds, flat.Messages, "message")}");
        await PgStats.PrintAsync(c.Env.Db, c.Out, flat.Seconds, ct);
        await using (var sizes = c.Env.Db.CreateCommand(
            "select count(*), coalesce(avg(pg_column_size(turns_encrypted)), 0)::int, coalesce(max(pg_column_size(turns_encrypted)), 0) from chat_conversations"))
        await using (var row = await sizes.ExecuteReaderAsync(ct))
        {
            await row.ReadAsync(ct);
            c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   conversations: {row.GetInt64(0):N0}, their sealed turns {row.GetInt32(1):N0} bytes on average as stored, {row.GetInt32(2):N0} at most"));
        }
        if (profiler is not null) await profiler.PrintAsync(c.Out);

        // Latency: the same users together sending 2,000 msg/s on a fixed schedule. Each reply is timed from when its
        // message was due, so a server that falls behind shows it in the figures rather than slowing the senders down.
        // First a few seconds at the same rate, not counted: the figures are of the steady rate, not of the way down
        // from the flat-out run's queues just before it.
        await RunClientsAsync(server, connections, box, LeadIn, TargetRate, ct);
        await PgStats.ResetAsync(c.Env.Db, ct);
        var pacedBefore = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var harnessBefore = HarnessGc.Take();
        var pacedCpuBefore = c.Env.Cpu.Take();
        var pacedFrom = DateTime.UtcNow;
        var paced = await RunClientsAsync(server, connections, box, TimeSpan.FromSeconds(s.NearbyDuration), TargetRate, ct);
        var pacedCpu = CpuSampler.Between(pacedCpuBefore, c.Env.Cpu.Take());
        var harnessGc = HarnessGc.Take() - harnessBefore;
        var pacedAfter = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var sum = paced.Latencies.Summarize();
        c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   at {TargetRate:N0} msg/s: {paced.Messages:N0} answered in {paced.Seconds:F1} s = {paced.Messages / paced.Seconds:N0} msg/s; errors {paced.Errors:N0}"));
        c.Out.WriteLine($"   latency at {TargetRate:N0} msg/s: {sum}");
        c.Out.WriteLine($"   by message: {paced.ByMessage(Script((box.MinLat, box.MinLng)))}");
        c.Out.WriteLine($"   seconds of the paced run ({pacedFrom:HH:mm:ss} UTC on, to match against the server's and PostgreSQL's logs) by their p99 (a stall shows as a run of slow seconds): {paced.BySecond()}");
        c.Out.WriteLine($"   at {TargetRate:N0} msg/s, {pacedCpu}");
        c.Out.WriteLine($"   at {TargetRate:N0} msg/s, {ServerMetrics.Runtime(pacedBefore, pacedAfter, paced.Seconds, paced.Messages, "message")}");
        await PgStats.PrintAsync(c.Env.Db, c.Out, paced.Seconds, ct);
        c.Out.WriteLine($"   the server's own time for the same requests (from receiving to answering, by its histogram): {ServerSide(pacedBefore, pacedAfter)}");
        c.Out.WriteLine($"   the load generator's own GC meanwhile (its pauses delay replies it times): {harnessGc}");
        c.Out.WriteLine($"   how late the load generator sent each message after it was due (counted in the latency above): {paced.Lateness.Summarize()}");
        c.Report.Add("chat", "messages/s through the REST channel (parse + dialogue + conversation in PostgreSQL)", rate, "msg/s", TargetRate, Better.Higher,
            $"{s.NearbyClients} users flat out; {cpu.Server:F0}% server, {cpu.Harness:F0}% harness CPU");
        c.Report.Add("chat", $"reply latency p99 at {TargetRate:N0} msg/s", sum.P99, "ms", 20, Better.Lower, $"p50 {sum.P50:F2} ms; {paced.Errors:N0} errors");
    }

    /// <summary>How many webhook requests the server itself answered within each bucket of its duration histogram.</summary>
    private static string ServerSide(Dictionary<string, double> before, Dictionary<string, double> after)
    {
        var buckets = after.Keys
            .Where(k => k.StartsWith("http_server_request_duration_seconds_bucket{", StringComparison.Ordinal) && k.Contains("/webhooks/rest/webhook", StringComparison.Ordinal))
            .GroupBy(k => System.Text.RegularExpressions.Regex.Match(k, "le=\"([^\"]+)\"").Groups[1].Value)
            .Select(g => (Le: g.Key, Count: g.Sum(k => after[k] - before.GetValueOrDefault(k))))
            .Where(b => b.Le != "+Inf" && b.Le.Length > 0)
            .OrderBy(b => double.Parse(b.Le, CultureInfo.InvariantCulture))
            .ToList();
        var total = after.Keys.Where(k => k.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal) && k.Contains("/webhooks/rest/webhook", StringComparison.Ordinal))
            .Sum(k => after[k] - before.GetValueOrDefault(k));
        if (total <= 0 || buckets.Count == 0) return "no histogram (/metrics)";
        return string.Join(", ", buckets.Where(b => double.Parse(b.Le, CultureInfo.InvariantCulture) <= 0.1)
            .Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Count / total * 100:F1}% within {double.Parse(b.Le, CultureInfo.InvariantCulture) * 1000:G3} ms")));
    }

    private static string[] Script((double Lat, double Lng) at) => Environment.GetEnvironmentVariable("CHAT_SCRIPT") is { } custom
        ? custom.Replace("{at}", string.Create(CultureInfo.InvariantCulture, $"{at.Lat:F5},{at.Lng:F5}")).Split('|') :
    [
        "hi there",
        string.Create(CultureInfo.InvariantCulture, $"find me parking near {at.Lat:F5},{at.Lng:F5}"),
        string.Create(CultureInfo.InvariantCulture, $"how much is 2 hours near {at.Lat:F5},{at.Lng:F5}?"),
        "I need a spot",
        string.Create(CultureInfo.InvariantCulture, $"{at.Lat:F5},{at.Lng:F5}"),
        "hvad kan du hjælpe med?",
        "thanks, bye",
    ];

    /// <param name="Lateness">How long after its due time each message was sent: the load generator's own delay, inside the latency it times.</param>
    private sealed record Outcome(long Messages, long Errors, Latencies Latencies, double Seconds, List<(int Second, double Ms)> Timeline, Dictionary<int, Latencies> ByStep, Latencies Lateness)
    {
        /// <summary>Each message of the script's p99, so a slow kind of message shows apart from the rest.</summary>
        public string ByMessage(string[] script) => string.Join("; ", ByStep.OrderBy(s => s.Key)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"\"{Shorten(script[s.Key])}\" p50 {s.Value.Summarize().P50:F1} p99 {s.Value.Summarize().P99:F1}")));

        private static string Shorten(string message) => message.Length <= 24 ? message : message[..21] + "...";

        /// <summary>Each second's p99 (by when its messages were due), in order.</summary>
        public string BySecond() => string.Join(" ", Timeline.GroupBy(t => t.Second).OrderBy(g => g.Key)
            .Select(g => { var ms = g.Select(t => t.Ms).Order().ToList(); return ms[Math.Min(ms.Count - 1, (int)(ms.Count * 0.99))].ToString("F0", CultureInfo.InvariantCulture); }));
    }

    /// <param name="rate">Messages per second from all users together on a fixed schedule; null: each as fast as it is answered.</param>
    private static async Task<Outcome> RunClientsAsync(Uri server, LeanHttpConnection[] connections, CityBox box, TimeSpan duration, double? rate, CancellationToken ct)
    {
        var clients = connections.Length;
        long messages = 0, errors = 0;
        var all = new Latencies();
        var lateness = new Latencies();
        var timeline = new List<(int Second, double Ms)>();
        var byStep = new Dictionary<int, Latencies>();
        // A server that stops answering ends the run (as HttpClient's timeout did) rather than hanging it.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(duration + TimeSpan.FromSeconds(30));
        ct = bounded.Token;
        var clock = Stopwatch.StartNew();
        // Each user's turn comes every clients/rate seconds, the users spread evenly over that interval.
        var interval = rate is { } r ? TimeSpan.FromSeconds(clients / r) : TimeSpan.Zero;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var random = new Random(4242 + w);
            var mine = new Latencies();
            var myLateness = new Latencies();
            var myTimeline = new List<(int, double)>();
            var myByStep = new Dictionary<int, Latencies>();
            var sender = $"bench-{w}-{Guid.NewGuid():N}";
            // Each message's request made once, its body sent with its length as Rasa's clients send theirs (not
            // chunked), so the harness spends its share of the two cores on timing, not on HTTP and JSON.
            var script = Script(box.RandomPoint(random))
                .Select(message => LeanHttpConnection.Post(server, "/webhooks/rest/webhook", JsonSerializer.SerializeToUtf8Bytes(new { sender, message }))).ToArray();
            var connection = connections[w];
            for (var i = 0; clock.Elapsed < duration && !ct.IsCancellationRequested; i++)
            {
                var due = rate is null ? clock.Elapsed : interval * (i + (double)w / clients);
                if (due >= duration) break;
                if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed, ct);
                var late = clock.Elapsed - due;
                var started = Stopwatch.GetTimestamp() - (long)(late.TotalSeconds * Stopwatch.Frequency);
                myLateness.Add(late.TotalMilliseconds);
                try
                {
                    var status = await connection.SendAsync(script[i % script.Length], ct);
                    var ms = Latencies.Ms(started, Stopwatch.GetTimestamp());
                    mine.Add(ms);
                    myTimeline.Add(((int)due.TotalSeconds, ms));
                    (myByStep.TryGetValue(i % script.Length, out var step) ? step : myByStep[i % script.Length] = new Latencies()).Add(ms);
                    if (status == (int)HttpStatusCode.OK) Interlocked.Increment(ref messages);
                    else Interlocked.Increment(ref errors);
                }
                catch (HttpRequestException) { Interlocked.Increment(ref errors); }
            }
            lock (all)
            {
                all.AddRange(mine);
                lateness.AddRange(myLateness);
                timeline.AddRange(myTimeline);
                foreach (var (step, ms) in myByStep)
                    (byStep.TryGetValue(step, out var all2) ? all2 : byStep[step] = new Latencies()).AddRange(ms);
            }
        }, ct)));
        return new Outcome(messages, errors, all, clock.Elapsed.TotalSeconds, timeline, byStep, lateness);
    }

    /// <summary>The load generator's garbage collections: a pause in it shows in every reply it is timing.</summary>
    private readonly record struct HarnessGc(int Gen0, int Gen1, int Gen2, TimeSpan Paused)
    {
        public static HarnessGc Take() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

        public static HarnessGc operator -(HarnessGc a, HarnessGc b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Paused - b.Paused);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"gen0/gen1/gen2 {Gen0}/{Gen1}/{Gen2}, paused {Paused.TotalMilliseconds:F0} ms in all");
    }
}
