using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Tests.Events;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary>
/// A server whose database connection runs through a proxy the tests can cut, waiting at most 2 s for durability and
/// queueing at most 1,000 readings. The tests' own SQL goes to the database directly.
/// </summary>
public sealed class IngestOutageFactory : ManageFactory
{
    protected override bool DatabaseThroughProxy => true;

    public IngestPipeline Pipeline => Services.GetRequiredService<IngestPipeline>();

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Ingest:HttpDurableTimeoutSeconds"] = "2";
        settings["Ingest:MaxQueuedReadings"] = "1000";
    }
}

/// <summary>202 means durable; when the database is away readings wait in the queue and are written once it is back.</summary>
public sealed class IngestOutageTests(IngestOutageFactory factory) : IClassFixture<IngestOutageFactory>
{
    private const int Sensors = 10;

    private sealed record Setup(Guid LotId, IReadOnlyList<TestSensor> Sensors, HttpClient Gateway) : IDisposable
    {
        public void Dispose() => Gateway.Dispose();
    }

    /// <summary>
    /// Sensors and a gateway, used once while the database is up so the node knows them (the key and the serials are
    /// cached): during the outage requests then fail only on durability, not on authentication.
    /// </summary>
    private async Task<(Setup Setup, List<JsonObject> Accepted)> SetUpAsync()
    {
        await WaitUntilIdleAsync();
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensors = new List<TestSensor>();
        for (var i = 0; i < Sensors; i++) sensors.Add(await op.CreateSensorAsync(lotId));
        await op.CreateSpaceAsync(lotId);
        using (var anonymous = factory.Anonymous())
            await anonymous.WaitForLotAsync(lotId, Sensors + 1);
        // Catalogue changes clear the node's caches when their events are dispatched: once every event is handled, the
        // warm-up below fills the caches for the last time.
        await factory.DrainAsync();
        var (_, key) = await op.CreateGatewayAsync();
        var gateway = factory.GatewayClient(key);
        var warmUp = sensors.Select(s => Reading(s.Serial, "free", SecondsAgo(900))).ToList();
        (await gateway.IngestAsync(Batch(warmUp))).GetProperty("accepted").GetInt32().ShouldBe(Sensors);
        return (new Setup(lotId, sensors, gateway), warmUp);
    }

    private async Task WaitUntilIdleAsync() =>
        await Poll.UntilAsync(() => Task.FromResult(factory.Pipeline.QueuedReadings), q => q == 0, TimeSpan.FromSeconds(30), "the ingest queue to drain");

    private static string Key(Guid spaceId, DateTimeOffset at, int status) => $"{spaceId}/{at.ToUnixTimeMilliseconds()}/{status}";

    private static string Key(TestSensor sensor, JsonObject reading) =>
        Key(sensor.SpaceId, DateTimeOffset.Parse(reading["observedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            reading["status"]!.GetValue<string>() == "free" ? 0 : 1);

    /// <summary>Every row of the lot's spaces as space/observed-ms/status, read from the database directly (not through the proxy).</summary>
    private async Task<HashSet<string>> StoredAsync(Setup setup) =>
        [.. await factory.ColumnAsync(
            "select space_id || '/' || (extract(epoch from observed_at) * 1000)::bigint || '/' || status from sensor_readings where space_id = any($1)",
            setup.Sensors.Select(s => s.SpaceId).ToArray())];

    private HashSet<string> Keys(Setup setup, IEnumerable<JsonObject> readings) =>
        [.. readings.Select(r => Key(setup.Sensors.Single(s => s.Serial == r["sensorId"]!.GetValue<string>()), r))];

    [Fact]
    public async Task Ingest_DatabaseDown_503WithRetryAfterThenEverythingIsWrittenOnceItIsBack()
    {
        var (setup, accepted) = await SetUpAsync();
        using var _ = setup;
        var batches = Enumerable.Range(1, 3).Select(b => setup.Sensors.Select((s, i) => Reading(s.Serial, (b + i) % 2 == 0 ? "free" : "occupied", SecondsAgo(600 - b * 10))).ToList()).ToList();

        try
        {
            factory.Proxy.Stop();
            foreach (var batch in batches)
            {
                var response = await setup.Gateway.PostReadingsAsync(Batch(batch.Select(r => r.DeepClone())));
                var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
                problem.Str("detail").ShouldContain("not yet durable");
                response.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
            }
            // Held, not dropped.
            factory.Pipeline.QueuedReadings.ShouldBe(3 * Sensors);
        }
        finally
        {
            factory.Proxy.Start();
        }

        var expected = Keys(setup, accepted.Concat(batches.SelectMany(b => b)));
        await Poll.UntilAsync(() => StoredAsync(setup), stored => stored.SetEquals(expected), TimeSpan.FromSeconds(30), "every reading in sensor_readings");
        await WaitUntilIdleAsync();

        // A gateway that retries what it was told to retry stores nothing twice.
        foreach (var batch in batches)
        {
            var retried = await setup.Gateway.IngestAsync(Batch(batch.Select(r => r.DeepClone())));
            retried.GetProperty("duplicates").GetInt32().ShouldBe(Sensors, retried.ToString());
        }
        (await factory.ScalarAsync<long>("select count(*) from sensor_readings where space_id = any($1)", setup.Sensors.Select(s => s.SpaceId).ToArray()))
            .ShouldBe(expected.Count);
        // Availability catches up through the change feed once it reconnects.
        using var anonymous = factory.Anonymous();
        for (var i = 0; i < Sensors; i++)
            await anonymous.WaitForSpaceStatusAsync(setup.LotId, setup.Sensors[i].SpaceId, batches[^1][i]["status"]!.GetValue<string>(), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Ingest_QueueFullWhileDatabaseDown_503AtOnceAndNothingAcceptedIsLost()
    {
        var (setup, accepted) = await SetUpAsync();
        using var _ = setup;
        // 1,000 readings fill the queue: 100 observations for each of the ten sensors.
        var filling = Enumerable.Range(0, 100).SelectMany(k => setup.Sensors.Select(s => Reading(s.Serial, k % 2 == 0 ? "occupied" : "free", SecondsAgo(800 - k)))).ToList();
        var overflow = setup.Sensors.Select(s => Reading(s.Serial, "occupied", SecondsAgo(100))).ToList();

        try
        {
            factory.Proxy.Stop();
            var queued = await setup.Gateway.PostReadingsAsync(Batch(filling.Select(r => r.DeepClone())));
            (await queued.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).Str("detail").ShouldContain("not yet durable");
            factory.Pipeline.QueuedReadings.ShouldBe(1000);

            var refused = await setup.Gateway.PostReadingsAsync(Batch(overflow.Select(r => r.DeepClone())));

            (await refused.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).Str("detail").ShouldContain("queue is full");
            refused.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
            factory.Pipeline.QueuedReadings.ShouldBe(1000);
        }
        finally
        {
            factory.Proxy.Start();
        }

        var expected = Keys(setup, accepted.Concat(filling));
        await Poll.UntilAsync(() => StoredAsync(setup), stored => stored.SetEquals(expected), TimeSpan.FromSeconds(30), "the queued readings in sensor_readings");
        await WaitUntilIdleAsync();
        // The refused batch was never queued: only its resend stores it.
        (await StoredAsync(setup)).Overlaps(Keys(setup, overflow)).ShouldBeFalse();
        // As a gateway does: resent while told to retry. On a busy box a resend can itself outwait the 2 s for
        // durability (seen once in CI); it is then written anyway and the next resend finds duplicates.
        var resent = await Poll.UntilAsync(() => setup.Gateway.PostReadingsAsync(Batch(overflow.Select(r => r.DeepClone()))),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "a resend that is durable");
        var outcome = await resent.ShouldHaveStatusAsync(HttpStatusCode.Accepted);
        (outcome.GetProperty("accepted").GetInt32() + outcome.GetProperty("duplicates").GetInt32()).ShouldBe(Sensors, outcome.ToString());
        (await StoredAsync(setup)).SetEquals(expected.Concat(Keys(setup, overflow))).ShouldBeTrue();
    }
}
