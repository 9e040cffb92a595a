using System.Net;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Availability;

/// <summary>Two server instances on one database, as behind a load balancer.</summary>
public sealed class TwoNodes : IAsyncLifetime
{
    public ManageFactory A { get; } = new();
    public SecondNodeFactory B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = new SecondNodeFactory(A.Database);
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
}
