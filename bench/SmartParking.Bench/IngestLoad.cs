using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SmartParking.Bench;

/// <summary>What one HTTP ingest run achieved. Counters are updated by many workers, hence the fields.</summary>
internal sealed class IngestLoadResult
{
    public long Acked;
    public long Batches;
    public long Duplicates;
    public long Rejected;
    /// <summary>Refused with 503 because the queue was full: never stored.</summary>
    public long QueueFull;
    /// <summary>503 after the durable wait timed out: still queued, so they will be stored without being acknowledged.</summary>
    public long NotYetDurable;
    public long Failed;
    public readonly Latencies BatchLatency = new();
    public double Seconds;

    public double Rate => Seconds > 0 ? Acked / Seconds : 0;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"acknowledged {Acked:N0} readings in {Seconds:F1} s = {Rate:N0} readings/s ({Batches:N0} batches; duplicates {Duplicates:N0}, rejected {Rejected:N0}, " +
        $"503 queue full {QueueFull:N0}, 503 not yet durable {NotYetDurable:N0}, failed {Failed:N0})");
}

/// <summary>
/// Gateway-style HTTP ingest: batches of readings for random sensors under the gateway key, from several concurrent
/// clients, optionally paced to a total rate. Every reading has an observation time no other reading has.
/// </summary>
internal sealed class IngestLoad(HttpClient http, UniqueClock clock)
{
    private static readonly JsonEncodedText Readings = JsonEncodedText.Encode("readings");
    private static readonly JsonEncodedText SensorId = JsonEncodedText.Encode("sensorId");
    private static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
    private static readonly JsonEncodedText ObservedAt = JsonEncodedText.Encode("observedAt");
    private static readonly JsonEncodedText Free = JsonEncodedText.Encode("free");
    private static readonly JsonEncodedText Occupied = JsonEncodedText.Encode("occupied");

    public static HttpClient CreateClient(Uri baseUrl, int connections, string gatewayKey)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = baseUrl,
            // Longer than the server's own durable wait (10 s), so the server's answer is what we see.
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Add("X-Gateway-Key", gatewayKey);
        return http;
    }

    /// <summary>
    /// Runs for <paramref name="duration"/> (or until <paramref name="stop"/>). Workers start no new batch after that, but
    /// batches already sent are awaited, never cancelled, so an acknowledgement is never lost from the count.
    /// </summary>
    public async Task<IngestLoadResult> RunAsync(string[] serials, int clients, int batchSize, double ratePerSecond, TimeSpan duration,
        TextWriter? progress, CancellationToken stop)
    {
        var result = new IngestLoadResult();
        var clock = Stopwatch.StartNew();
        long budget = 0;
        var workers = Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var random = new Random(7919 * (w + 1));
            var buffer = new ArrayBufferWriter<byte>(batchSize * 110);
            var latencies = new Latencies();
            while (clock.Elapsed < duration && !stop.IsCancellationRequested)
            {
                if (ratePerSecond > 0)
                {
                    // A shared budget paces the total, not each worker, so slow workers do not lower the rate.
                    var due = TimeSpan.FromSeconds(Interlocked.Add(ref budget, batchSize) / ratePerSecond) - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        try { await Task.Delay(due, stop); }
                        catch (OperationCanceledException) { break; }
                    }
                    if (clock.Elapsed >= duration) break;
                }
                Build(buffer, batchSize, i => serials[random.Next(serials.Length)], random);
                await SendAsync(buffer.WrittenMemory, batchSize, result, latencies);
            }
            lock (result.BatchLatency) result.BatchLatency.AddRange(latencies);
        })).ToList();
        await ReportWhileRunningAsync(workers, result, clock, progress);
        result.Seconds = clock.Elapsed.TotalSeconds;
        return result;
    }

    /// <summary>One reading for every sensor, in order: the first time the server sees each serial (its directory is cold).</summary>
    public async Task<IngestLoadResult> EverySensorOnceAsync(string[] serials, int clients, int batchSize, TextWriter? progress)
    {
        var result = new IngestLoadResult();
        var clock = Stopwatch.StartNew();
        var next = -1;
        var workers = Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var random = new Random(104729 * (w + 1));
            var buffer = new ArrayBufferWriter<byte>(batchSize * 110);
            var latencies = new Latencies();
            int slice;
            while ((slice = Interlocked.Increment(ref next)) * batchSize < serials.Length)
            {
                var from = slice * batchSize;
                var count = Math.Min(batchSize, serials.Length - from);
                Build(buffer, count, i => serials[from + i], random);
                await SendAsync(buffer.WrittenMemory, count, result, latencies);
            }
            lock (result.BatchLatency) result.BatchLatency.AddRange(latencies);
        })).ToList();
        await ReportWhileRunningAsync(workers, result, clock, progress);
        result.Seconds = clock.Elapsed.TotalSeconds;
        return result;
    }

    private void Build(ArrayBufferWriter<byte> buffer, int count, Func<int, string> serialAt, Random random)
    {
        buffer.ResetWrittenCount();
        var first = clock.Reserve(count);
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteStartArray(Readings);
        for (var i = 0; i < count; i++)
        {
            json.WriteStartObject();
            json.WriteString(SensorId, serialAt(i));
            json.WriteString(Status, random.Next(2) == 0 ? Free : Occupied);
            json.WriteString(ObservedAt, new DateTimeOffset(first + i, TimeSpan.Zero));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private async Task SendAsync(ReadOnlyMemory<byte> body, int count, IngestLoadResult result, Latencies latencies)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var content = new ReadOnlyMemoryContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("/api/v1/ingest/readings", content, CancellationToken.None);
            var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            latencies.Add(Latencies.Ms(started, Stopwatch.GetTimestamp()));
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var (accepted, duplicates, rejected) = ReadCounts(bytes);
                Interlocked.Add(ref result.Acked, accepted);
                Interlocked.Add(ref result.Duplicates, duplicates);
                Interlocked.Add(ref result.Rejected, rejected);
                Interlocked.Increment(ref result.Batches);
            }
            else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                // The server's two 503s differ in what happened to the readings; its detail text tells them apart.
                var detail = System.Text.Encoding.UTF8.GetString(bytes);
                if (detail.Contains("queue is full", StringComparison.OrdinalIgnoreCase)) Interlocked.Add(ref result.QueueFull, count);
                else Interlocked.Add(ref result.NotYetDurable, count);
                // Honour the back-off a real gateway would, briefly, so an overloaded server is not hammered further.
                await Task.Delay(200);
            }
            else
            {
                Interlocked.Add(ref result.Failed, count);
                if (Interlocked.Read(ref result.Failed) == count)
                    Console.Error.WriteLine($"Ingest answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)[..Math.Min(500, bytes.Length)]}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Add(ref result.Failed, count);
            Console.Error.WriteLine($"Ingest request failed: {e.Message}");
        }
    }

    /// <summary>The leading counters of the 202 body; the per-item list that follows is not needed.</summary>
    private static (int Accepted, int Duplicates, int Rejected) ReadCounts(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        int accepted = 0, duplicates = 0, rejected = 0, found = 0;
        while (found < 3 && reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            var name = reader.GetString();
            reader.Read();
            if (reader.TokenType != JsonTokenType.Number) { reader.Skip(); continue; }
            switch (name)
            {
                case "accepted": accepted = reader.GetInt32(); found++; break;
                case "duplicates": duplicates = reader.GetInt32(); found++; break;
                case "rejected": rejected = reader.GetInt32(); found++; break;
            }
        }
        return (accepted, duplicates, rejected);
    }

    private static async Task ReportWhileRunningAsync(List<Task> workers, IngestLoadResult result, Stopwatch clock, TextWriter? progress)
    {
        var all = Task.WhenAll(workers);
        long last = 0;
        var lastAt = clock.Elapsed;
        while (!all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(2000));
            if (progress is null) continue;
            var acked = Interlocked.Read(ref result.Acked);
            var now = clock.Elapsed;
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {now.TotalSeconds,5:F0} s  acknowledged {acked,11:N0}  {(acked - last) / (now - lastAt).TotalSeconds,8:N0}/s  503 {Interlocked.Read(ref result.QueueFull) + Interlocked.Read(ref result.NotYetDurable),8:N0}  failed {Interlocked.Read(ref result.Failed),6:N0}"));
            last = acked;
            lastAt = now;
        }
        await all;
    }
}
