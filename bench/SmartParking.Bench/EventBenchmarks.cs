using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace SmartParking.Bench;

/// <summary>
/// f. Domain event dispatch: PriceChanged events (one of the city's lots each) are committed to the outbox as fast as
/// two writers can, in transactions of 100 as a module's batch would be, for the run's duration. The server's own
/// counters then say when every subscriber of that type (availability's price view on the node, the webhook forwarder
/// once per deployment) had handled them all, and its lag histogram (from recording to handler) gives the p99.
/// </summary>
internal static class EventBench
{
    private const int PerTransaction = 100;
    private const int Writers = 2;
    // The design target's load: events offered at this rate, the lag measured under it.
    private const int OfferedPerSecond = 5_000;

    public static async Task RunAsync(BenchContext c, CancellationToken ct)
    {
        var seconds = c.Settings.Duration;
        c.Header("events", $"{Writers} writers committing {OfferedPerSecond:N0} PriceChanged events/s ({PerTransaction} a transaction) for {seconds} s, then until every subscriber has them all");
        var lots = c.Env.City.Lots.Select(l => l.Id).ToArray();
        var before = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
        var subscribers = Subscribers(before);
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(seconds * Stopwatch.Frequency);
        var produced = (await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => WriteAsync(c, lots, w, stopAt, ct)))).Sum();
        var writeSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        c.Out.WriteLine($"   committed {produced:N0} events in {writeSeconds:F1} s ({produced / writeSeconds:N0}/s)");

        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        Dictionary<string, double> after;
        while (true)
        {
            after = await ServerMetrics.ScrapeAsync(c.Env.Server.BaseUrl, ct);
            subscribers = Subscribers(after);
            if (subscribers.All(s => Delivered(after, s) - Delivered(before, s) >= produced) || Stopwatch.GetTimestamp() > deadline) break;
            await Task.Delay(50, ct);
        }
        var drainSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        foreach (var subscriber in subscribers.Order())
        {
            var delivered = Delivered(after, subscriber) - Delivered(before, subscriber);
            var p99 = LagQuantile(before, after, subscriber, 0.99);
            var p50 = LagQuantile(before, after, subscriber, 0.50);
            var rate = delivered / drainSeconds;
            c.Out.WriteLine($"   {subscriber}: {delivered:N0} handled, {rate:N0}/s from the first commit to the last handled; lag p50 ≤ {p50 * 1000:N0} ms, p99 ≤ {p99 * 1000:N0} ms");
            c.Report.Add("events", $"events/s dispatched ({subscriber})", rate, "events/s", 5_000, Better.Higher,
                $"{delivered:N0} of {produced:N0} PriceChanged; {Writers} writers × {PerTransaction} a transaction for {seconds} s; lag p50 ≤ {p50 * 1000:N0} ms");
            c.Report.Add("events", $"event lag p99 ({subscriber})", p99 * 1000, "ms", 1_000, Better.Lower, "upper bound of the histogram bucket holding the 99th percentile");
        }
    }

    /// <summary>One writer: commits batches of events until the time is up; returns how many it committed.</summary>
    private static async Task<long> WriteAsync(BenchContext c, Guid[] lots, int writer, long stopAt, CancellationToken ct)
    {
        var random = new Random(writer);
        long count = 0;
        var started = Stopwatch.GetTimestamp();
        var perWriter = (double)OfferedPerSecond / Writers;
        await using var connection = await c.Env.Db.OpenConnectionAsync(ct);
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            // Paced: a batch goes when its time has come, so the offered rate is the target's, not the writers' limit.
            var due = TimeSpan.FromSeconds(count / perWriter) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            var ids = new Guid[PerTransaction];
            var aggregates = new string[PerTransaction];
            var payloads = new string[PerTransaction];
            for (var i = 0; i < PerTransaction; i++)
            {
                var lot = lots[random.Next(lots.Length)];
                ids[i] = Guid.CreateVersion7();
                aggregates[i] = lot.ToString();
                payloads[i] = JsonSerializer.Serialize(new
                {
                    unitId = lot, lotId = lot, zoneId = (Guid?)null, tenantId = c.Env.City.TenantId,
                    rateNow = Math.Round(10 + random.NextDouble() * 20, 2), typeRates = (object?)null, at = DateTimeOffset.UtcNow,
                });
            }
            await using var tx = await connection.BeginTransactionAsync(ct);
            // The rows the server's outbox writes (EventOutbox.AppendSql), with its wake-up notice.
            await using var insert = new NpgsqlCommand("""
                insert into domain_events (id, type, aggregate_id, tenant_id, occurred_at, payload)
                select e.id, 'PriceChanged', e.aggregate_id, @tenant, clock_timestamp(), e.payload::jsonb
                from unnest(@ids, @aggregates, @payloads) with ordinality as e(id, aggregate_id, payload, n) order by e.n;
                select pg_notify('domain_events', '')
                """, connection, tx);
            insert.Parameters.Add(new NpgsqlParameter("tenant", c.Env.City.TenantId));
            insert.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids });
            insert.Parameters.Add(new NpgsqlParameter("aggregates", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = aggregates });
            insert.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = payloads });
            await insert.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            count += PerTransaction;
        }
        return count;
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

    private static string? Label(string series, string name)
    {
        var start = series.IndexOf(name + "=\"", StringComparison.Ordinal);
        if (start < 0) return null;
        start += name.Length + 2;
        var end = series.IndexOf('"', start);
        return end < 0 ? null : series[start..end];
    }
}
