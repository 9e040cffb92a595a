using System.Net;
using System.Net.Http.Json;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Availability;

/// <summary>Two server instances on one database, as behind a load balancer.</summary>
public sealed class TwoNodes : IAsyncLifetime
{
    // The overlapping-writers test holds a writer on its sensor's row, so every batch must write last_seen_at.
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?> { ["Ingest:LastSeenWriteSeconds"] = "0" };

    public NodeA A { get; } = new();
    public SecondNodeFactory B { get; private set; } = null!;

    public sealed class NodeA : ManageFactory
    {
        protected override void ConfigureSettings(IDictionary<string, string?> settings)
        {
            base.ConfigureSettings(settings);
            foreach (var (key, value) in Settings) settings[key] = value;
        }
    }

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = new SecondNodeFactory(A.Database, Settings);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        // B first: A drops the database they share.
        await ((IAsyncLifetime)B).DisposeAsync();
        await ((IAsyncLifetime)A).DisposeAsync();
    }
}

/// <summary>Every node keeps its availability current from the change feed, whichever node took the reading.</summary>
public sealed class MultiNodeTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private async Task<TestSensor> NewSensorKnownToBothAsync()
    {
        using var op = nodes.A.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        using var onB = nodes.B.Anonymous();
        // The lot was created through A; B learns of it from the catalogue notice.
        await onB.WaitForLotAsync(lotId, 1);
        return sensor;
    }

    [Fact]
    public async Task ReadingPostedToA_ShowsInBsAvailability()
    {
        var sensor = await NewSensorKnownToBothAsync();
        using var device = nodes.A.DeviceClient(sensor);
        var observedAt = SecondsAgo(3);

        await device.IngestAsync(Batch(Reading(null, "occupied", observedAt)));

        using var onB = nodes.B.Anonymous();
        var space = await onB.WaitForSpaceStatusAsync(sensor.LotId, sensor.SpaceId, "occupied");
        space.GetProperty("since").GetDateTimeOffset().ShouldBe(observedAt);
        using var onA = nodes.A.Anonymous();
        await onA.WaitForSpaceStatusAsync(sensor.LotId, sensor.SpaceId, "occupied");
    }

    [Fact]
    public async Task ReadingPostedToA_DeliveredByBsStream()
    {
        var sensor = await NewSensorKnownToBothAsync();
        using var onB = nodes.B.Anonymous();
        await using var stream = await SseStream.OpenAsync(onB, $"/api/v1/availability/stream?lotId={sensor.LotId}");
        (await stream.NextAsync("B's snapshot")).Event.ShouldBe("snapshot");

        using (var device = nodes.A.DeviceClient(sensor))
            await device.IngestAsync(Batch(Reading(null, "free")));

        var change = await stream.NextMatchingAsync(e => AvailabilityStreamTests.IsChangeOf(e, sensor.SpaceId), "the change on B's stream");
        change.Json.Str("status").ShouldBe("free");
        change.Json.GetProperty("lotCounts").GetProperty("free").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task ReadingPostedToB_ShowsInAsAvailability()
    {
        var sensor = await NewSensorKnownToBothAsync();
        using var device = nodes.B.DeviceClient(sensor);

        await device.IngestAsync(Batch(Reading(null, "closed")));

        using var onA = nodes.A.Anonymous();
        await onA.WaitForSpaceStatusAsync(sensor.LotId, sensor.SpaceId, "out_of_service");
    }

    [Fact]
    public async Task GatewayRevokedThroughA_RejectedByBToo()
    {
        var sensor = await NewSensorKnownToBothAsync();
        using var op = nodes.A.OperatorClient();
        var (gatewayId, key) = await op.CreateGatewayAsync();
        using var viaB = nodes.B.GatewayClient(key);
        // B has verified the key, so it holds it in its cache.
        await viaB.IngestAsync(Batch(Reading(sensor.Serial, "free", SecondsAgo(30))));

        (await op.DeleteAsync($"/api/v1/manage/gateways/{gatewayId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // B hears of it over the change feed, well within the minute its cache would otherwise trust the key.
        await Poll.UntilAsync(async () => (await viaB.PostReadingsAsync(Batch(Reading(sensor.Serial, "occupied", SecondsAgo(1))))).StatusCode,
            s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(20), "B to refuse the revoked key");
    }

    private Task<long> LockWaitersAsync() => nodes.A.ScalarAsync<long>(
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()");

    /// <summary>
    /// Versions are taken in one order and committed in another when two writers overlap: here B's writer has taken
    /// the version for X and is held (by a row lock on X's sensor) while A's writer handles Y. The feed reads
    /// "versions after the last one seen", so a version committed after a higher one must still reach every node.
    /// </summary>
    [Fact]
    public async Task ChangeFeed_WritersOnTwoNodesOverlap_EveryChangeReachesBothNodes()
    {
        using var op = nodes.A.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var x = await op.CreateSensorAsync(lotId, "X");
        var y = await op.CreateSensorAsync(lotId, "Y");
        using var onA = nodes.A.Anonymous();
        using var onB = nodes.B.Anonymous();
        await onB.WaitForLotAsync(lotId, 2);
        using var deviceXviaB = nodes.B.DeviceClient(x);
        using var deviceYviaA = nodes.A.DeviceClient(y);
        await deviceXviaB.IngestAsync(Batch(Reading(null, "free", SecondsAgo(60))));
        await deviceYviaA.IngestAsync(Batch(Reading(null, "free", SecondsAgo(60))));
        foreach (var node in new[] { onA, onB })
        {
            await node.WaitForSpaceStatusAsync(lotId, x.SpaceId, "free");
            await node.WaitForSpaceStatusAsync(lotId, y.SpaceId, "free");
        }

        await using var blocker = await nodes.A.Sql.OpenConnectionAsync();
        await using var tx = await blocker.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("select 1 from sensors where id = $1 for update", blocker, tx) { Parameters = { new() { Value = x.SensorId } } })
            await hold.ExecuteNonQueryAsync();
        var xPosted = deviceXviaB.IngestAsync(Batch(Reading(null, "occupied", SecondsAgo(1))));
        await Poll.UntilAsync(LockWaitersAsync, n => n >= 1, Eventually, "B's writer to wait on X's sensor after taking X's version");
        var yPosted = deviceYviaA.IngestAsync(Batch(Reading(null, "occupied", SecondsAgo(1))));
        // A's writer either commits Y now, with the higher version, or waits its turn; either way it has had its go.
        await Poll.UntilAsync(async () => yPosted.IsCompleted || await LockWaitersAsync() >= 2, done => done, Eventually, "A's writer to finish or wait");
        await tx.CommitAsync();
        await Task.WhenAll(xPosted, yPosted);

        foreach (var node in new[] { onA, onB })
        {
            await node.WaitForSpaceStatusAsync(lotId, y.SpaceId, "occupied");
            await node.WaitForSpaceStatusAsync(lotId, x.SpaceId, "occupied");
        }
    }

    /// <summary>Shown prices are kept a few seconds per node; a change made on another node shows within that.</summary>
    [Fact]
    public async Task PolicyChangedOnA_QuotedThereAtOnce_AndOnBWithinTheShownPriceLifetime()
    {
        using var op = nodes.A.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        using var onA = nodes.A.Anonymous();
        using var onB = nodes.B.Anonymous();
        await onB.WaitForLotAsync(lotId, 0);
        var start = DateTimeOffset.UtcNow.AddHours(1);
        var quote = $"/api/v1/lots/{lotId}/quote?start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(start.AddHours(1).ToString("O"))}";
        async Task<decimal> AmountAsync(HttpClient node) => (await node.GetJsonAsync(quote)).GetProperty("amount").GetDecimal();
        var before = await AmountAsync(onB);
        (await AmountAsync(onA)).ShouldBe(before);

        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy",
            new { peakMultiplier = 2.0, offPeakMultiplier = 2.0, peakDays = SmartParking.Tests.Pricing.OneBand.Week, peakStart = "00:00", peakEnd = "24:00" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        var after = await AmountAsync(onA);
        after.ShouldNotBe(before);
        var shownOnB = await Poll.UntilAsync(() => AmountAsync(onB), amount => amount == after, PricingInputsCache.Lifetime * 3, "B's quote after A's policy change");
        shownOnB.ShouldBe(after);
    }
}
