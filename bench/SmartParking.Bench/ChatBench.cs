using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace SmartParking.Bench;

/// <summary>
/// The chat assistant through Rasa's REST channel: each client is one anonymous user holding a conversation (greeting,
/// parking near a point, a price for two hours, a question it must ask back, thanks), so every message is parsed by the
/// NLU, answered by the dialogue and its conversation row read and written in PostgreSQL.
/// </summary>
internal static class ChatBench
{
    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var s = c.Settings;
        var box = c.Env.City.Box;
        c.Header("chat", $"{s.NearbyClients} keep-alive clients, each a user talking to POST /webhooks/rest/webhook, {s.NearbyDuration} s");
        c.Out.WriteLine($"   note: the load generator runs on the same {Environment.ProcessorCount} cores as the server and PostgreSQL.");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = s.NearbyClients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = c.Env.Server.BaseUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
        await RunClientsAsync(http, box, s.NearbyClients, TimeSpan.FromSeconds(3), ct); // warm-up (and the NLU trained)
        var profiler = Profiler.Start(c, "chat", TimeSpan.FromSeconds(2), Math.Max(3, Math.Min(10, s.NearbyDuration - 4)));
        var cpuBefore = c.Env.Cpu.Take();
        var (messages, errors, latencies, seconds) = await RunClientsAsync(http, box, s.NearbyClients, TimeSpan.FromSeconds(s.NearbyDuration), ct);
        var cpu = CpuSampler.Between(cpuBefore, c.Env.Cpu.Take());
        var rate = messages / seconds;
        var sum = latencies.Summarize();
        c.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {messages:N0} messages answered in {seconds:F1} s = {rate:N0} msg/s; errors {errors:N0}"));
        c.Out.WriteLine($"   latency: {sum}");
        c.Out.WriteLine($"   {cpu}");
        if (profiler is not null) await profiler.PrintAsync(c.Out);
        c.Report.Add("chat", "messages/s through the REST channel (parse + dialogue + conversation in PostgreSQL)", rate, "msg/s", 2_000, Better.Higher,
            $"{s.NearbyClients} users; {cpu.Server:F0}% server, {cpu.Harness:F0}% harness CPU");
        c.Report.Add("chat", "reply latency p99", sum.P99, "ms", 20, Better.Lower, $"p50 {sum.P50:F2} ms");
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

    private static async Task<(long Messages, long Errors, Latencies Latencies, double Seconds)> RunClientsAsync(
        HttpClient http, CityBox box, int clients, TimeSpan duration, CancellationToken ct)
    {
        long messages = 0, errors = 0;
        var all = new Latencies();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var random = new Random(4242 + w);
            var mine = new Latencies();
            var sender = $"bench-{w}-{Guid.NewGuid():N}";
            var script = Script(box.RandomPoint(random));
            for (var i = 0; clock.Elapsed < duration && !ct.IsCancellationRequested; i++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message = script[i % script.Length] }, ct);
                    await response.Content.ReadAsByteArrayAsync(ct);
                    mine.Add(Latencies.Ms(started, Stopwatch.GetTimestamp()));
                    if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref messages);
                    else Interlocked.Increment(ref errors);
                }
                catch (HttpRequestException) { Interlocked.Increment(ref errors); }
            }
            lock (all) all.AddRange(mine);
        }, ct)));
        return (messages, errors, all, clock.Elapsed.TotalSeconds);
    }
}
