using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace SmartParking.Bench;

/// <summary>
/// f. Domain event dispatch, PriceChanged events (one of the city's lots each) committed to the outbox in transactions
/// of 100 as a module's batch would be. First at the design's 5,000 events/s for the run's duration: the server's lag
/// histogram (from recording to handler) gives the p99 each subscriber sees under that load (availability's price view
/// on the node, the webhook forwarder once per deployment). Then a backlog written as fast as two writers can: the time
/// from its first commit until every subscriber had handled it gives the dispatch capacity.
/// </summary>
internal static class EventBench
{
    private const int PerTransaction = EventWriter.PerTransaction;
    private const int Writers = 2;
    // The design target's load: events offered at this rate, the lag measured under it.
    private const int OfferedPerSecond = 5_000;
    private const int BurstEvents = 60_000;

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var seconds = c.Settings.Duration;
        c.Header("events", $"{Writers} writers committing {OfferedPerSecond:N0} PriceChanged events/s ({PerTransaction} a transaction) for {seconds} s, " +
                           $"then a backlog of {BurstEvents:N0} committed as fast as they can");
        var lots = c.Env.City.Lots.Select(l => l.Id).ToArray();

        // Lag at the target's load: what a subscriber sees when events arrive at the rate the design expects.
        var (paced, before, after, _) = await PhaseAsync(c, lots, ct, (w, writer) => writer.PacedAsync(OfferedPerSecond / Writers, seconds, ct));
        c.Out.WriteLine($"   paced: committed {paced:N0} events in {seconds} s");
        foreach (var subscriber in Subscribers(after).Order())
        {
            var p99 = LagQuantile(before, after, subscriber, 0.99);
            var p50 = LagQuantile(before, after, subscriber, 0.50);
            c.Out.WriteLine($"   {subscriber}: {Delivered(after, subscriber) - Delivered(before, subscriber):N0} handled; lag p50 ≤ {p50 * 1000:N0} ms, p99 ≤ {p99 * 1000:N0} ms");
            c.Out.WriteLine($"     lag within: {LagShares(before, after, subscriber)}");
            c.Report.Add("events", $"event lag p99 at {OfferedPerSecond:N0}/s ({subscriber})", p99 * 1000, "ms", 1_000, Better.Lower,
                $"upper bound of the histogram bucket holding the 99th percentile; p50 ≤ {p50 * 1000:N0} ms");
        }

        // Capacity: a backlog written as fast as the writers can, timed from its first commit to its last handled event.
        var (burst, _, done, drainSeconds) = await PhaseAsync(c, lots, ct, (w, writer) => writer.BurstAsync(BurstEvents / Writers, ct));
        c.Out.WriteLine($"   burst: committed {burst:N0} events, all handled {drainSeconds:F1} s after the first commit");
        foreach (var subscriber in Subscribers(done).Order())
        {
            var rate = burst / drainSeconds;
            c.Out.WriteLine($"   {subscriber}: {rate:N0} events/s from the first commit to the last handled");
            c.Report.Add("events", $"events/s dispatched ({subscriber})", rate, "events/s", 5_000, Better.Higher,
                $"{burst:N0} PriceChanged from {Writers} writers × {PerTransaction} a transaction, unpaced; the other subscriber ran in the same rounds");
        }
    }

    /// <summary>Writes with every writer, then waits until every subscriber handled all of it: counters before and after, and the seconds it took.</summary>
    private static async Task<(long Produced, Dictionary<string, double> Before, Dictionary<string, double> After, double Seconds)> PhaseAsync(
        BenchContext c, Guid[] lots, CancellationToken ct, Func<int, EventWriter, Task<long>> write)
    {
        var before = await QuietAsync(c, ct);
        var started = Stopwatch.GetTimestamp();
        var produced = (await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => write(w, new EventWriter(c, lots, w))))).Sum();
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while (true)
        {
            var after = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
            var subscribers = Subscribers(after);
            if (subscribers.Count > 0 && subscribers.All(s => Delivered(after, s) - Delivered(before, s) >= produced) || Stopwatch.GetTimestamp() > deadline)
                return (produced, before, after, Stopwatch.GetElapsedTime(started).TotalSeconds);
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// The server's counters once its own events (the first repricing of the city, one PriceChanged per lot in one
    /// transaction) are all handled, so the measured lag is that of the offered load alone.
    /// </summary>
    private static async Task<Dictionary<string, double>> QuietAsync(BenchContext c, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        var last = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        while (true)
        {
            await Task.Delay(1000, ct);
            var now = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
            var handled = Subscribers(now).Sum(s => Delivered(now, s));
            if (handled == Subscribers(last).Sum(s => Delivered(last, s)) || Stopwatch.GetTimestamp() > deadline) return now;
            c.Out.WriteLine($"   waiting for the server's own events to be handled ({handled:N0} so far)");
            last = now;
        }
    }

    private const string DeliveredMetric = "events_delivered_total";
    private const string LagMetric = "event_dispatch_lag_seconds_bucket";

    /// <summary>The subscribers that take PriceChanged, as the server's counters name them (those that handled any).</summary>
    private static List<string> Subscribers(Dictionary<string, double> metrics) =>
        [.. metrics.Keys.Where(k => k.StartsWith(DeliveredMetric + "{", StringComparison.Ordinal)).Select(k => Label(k, "subscriber")).OfType<string>()
            .Where(s => s is "availability.prices" or "notifications.webhooks").Distinct()];

    private static double Delivered(Dictionary<string, double> metrics, string subscriber) =>
        metrics.Where(kv => kv.Key.StartsWith(DeliveredMetric + "{", StringComparison.Ordinal) && Label(kv.Key, "subscriber") == subscriber).Sum(kv => kv.Value);

    /// <summary>The upper bound of the bucket holding the quantile, from the cumulative buckets' growth between two scrapes.</summary>
    private static double LagQuantile(Dictionary<string, double> before, Dictionary<string, double> after, string subscriber, double quantile)
    {
        var buckets = after.Where(kv => kv.Key.StartsWith(LagMetric + "{", StringComparison.Ordinal) && Label(kv.Key, "subscriber") == subscriber)
            .Select(kv => (Le: Label(kv.Key, "le") is { } le && le != "+Inf" ? double.Parse(le, CultureInfo.InvariantCulture) : double.PositiveInfinity,
                Count: kv.Value - before.GetValueOrDefault(kv.Key)))
            .OrderBy(b => b.Le).ToList();
        if (buckets.Count == 0 || buckets[^1].Count <= 0) return double.NaN;
        var target = buckets[^1].Count * quantile;
        return buckets.First(b => b.Count >= target).Le;
    }

    /// <summary>The share of events handled within each bucket bound, so a tail shows where it starts.</summary>
    private static string LagShares(Dictionary<string, double> before, Dictionary<string, double> after, string subscriber)
    {
        var buckets = after.Where(kv => kv.Key.StartsWith(LagMetric + "{", StringComparison.Ordinal) && Label(kv.Key, "subscriber") == subscriber)
            .Select(kv => (Le: Label(kv.Key, "le") ?? "", Count: kv.Value - before.GetValueOrDefault(kv.Key)))
            .OrderBy(b => b.Count).ToList();
        if (buckets.Count == 0 || buckets[^1].Count <= 0) return "-";
        var total = buckets[^1].Count;
        return string.Join(", ", buckets.Where(b => b.Le != "+Inf").Select(b => $"{double.Parse(b.Le, CultureInfo.InvariantCulture) * 1000:0.#} ms {b.Count / total:P1}"));
    }

    private static string? Label(string series, string name)
    {
        var start = series.IndexOf(name + "=\"", StringComparison.Ordinal);
        if (start < 0) return null;
        start += name.Length + 2;
        var end = series.IndexOf('"', start);
        return end < 0 ? null : series[start..end];
    }
}

/// <summary>One writer of PriceChanged events, in transactions of 100 as a module's batch would be, with the outbox's wake-up notice.</summary>
internal sealed class EventWriter(BenchContext c, Guid[] lots, int writer)
{
    public const int PerTransaction = 100;
    private readonly Random _random = new(writer);

    /// <summary>Paced: a batch goes when its time has come, so the offered rate is the target's, not the writer's limit.</summary>
    public async Task<long> PacedAsync(int perSecond, int seconds, CancellationToken ct)
    {
        await using var connection = await c.Env.Db.OpenConnectionAsync(ct);
        long count = 0;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
        {
            var due = TimeSpan.FromSeconds((double)count / perSecond) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            count += await CommitAsync(connection, ct);
        }
        return count;
    }

    /// <summary>As fast as this writer can, until it has committed this many.</summary>
    public async Task<long> BurstAsync(int events, CancellationToken ct)
    {
        await using var connection = await c.Env.Db.OpenConnectionAsync(ct);
        long count = 0;
        while (count < events) count += await CommitAsync(connection, ct);
        return count;
    }

    private async Task<int> CommitAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var ids = new Guid[PerTransaction];
        var aggregates = new string[PerTransaction];
        var payloads = new string[PerTransaction];
        for (var i = 0; i < PerTransaction; i++)
        {
            var lot = lots[_random.Next(lots.Length)];
            ids[i] = Guid.CreateVersion7();
            aggregates[i] = lot.ToString();
            payloads[i] = JsonSerializer.Serialize(new
            {
                unitId = lot, lotId = lot, zoneId = (Guid?)null, tenantId = c.Env.City.TenantId,
                rateNow = Math.Round(10 + _random.NextDouble() * 20, 2), typeRates = (object?)null, at = DateTimeOffset.UtcNow,
            });
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The rows the server's outbox writes (EventOutbox.AppendSql), with its wake-up notice.
        await using var insert = new NpgsqlCommand("""
            insert into domain_events (id, type, aggregate_id, tenant_id, occurred_at, payload)
            select e.id, 'PriceChanged', e.aggregate_id, @tenant, clock_timestamp(), e.payload::json
            from unnest(@ids, @aggregates, @payloads) with ordinality as e(id, aggregate_id, payload, n) order by e.n;
            select pg_notify('domain_events', '')
            """, connection, tx);
        insert.Parameters.Add(new NpgsqlParameter("tenant", c.Env.City.TenantId));
        insert.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids });
        insert.Parameters.Add(new NpgsqlParameter("aggregates", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = aggregates });
        insert.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = payloads });
        await insert.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return PerTransaction;
    }
}
