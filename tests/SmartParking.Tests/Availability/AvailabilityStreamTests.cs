using System.Globalization;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Availability;

/// <summary><c>GET /api/v1/availability/stream</c>: Server-Sent Events of status changes, per lot or per area, resumable by Last-Event-ID.</summary>
/// <summary>On a real Kestrel socket: when response headers go out is what a streaming client notices, and TestServer differs there.</summary>
public sealed class StreamFactory : ManageFactory
{
    protected override bool UseRealServer => true;
}

public sealed class AvailabilityStreamTests(StreamFactory factory) : IClassFixture<StreamFactory>
{
    internal static bool IsChangeOf(SseEvent e, Guid spaceId) =>
        e.Event == "availability" && e.Json.GetProperty("spaceId").GetGuid() == spaceId;

    [Fact]
    public async Task Stream_ForALot_SnapshotThenTheChangeOfItsSpace()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        var otherLot = (await op.CreateLotAtAsync(lat + 0.001, lng)).Id();
        var elsewhere = await op.CreateSensorAsync(otherLot);
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForLotAsync(lotId, 1);

        await using var stream = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lotId={lotId}");
        var snapshot = await stream.NextAsync("the snapshot");
        snapshot.Event.ShouldBe("snapshot");
        snapshot.Json.GetProperty("lotId").GetGuid().ShouldBe(lotId);
        snapshot.Json.GetProperty("lotCounts").GetProperty("unknown").GetInt32().ShouldBe(1);

        // The other lot's change comes first in version order: a lot stream must skip it.
        using (var device = factory.DeviceClient(elsewhere))
            await device.IngestAsync(Batch(Reading(null, "free")));
        var observedAt = SecondsAgo(2);
        using (var device = factory.DeviceClient(sensor))
            await device.IngestAsync(Batch(Reading(null, "occupied", observedAt)));

        var change = await stream.NextAsync("the space's change");
        change.Event.ShouldBe("availability");
        var data = change.Json;
        data.GetProperty("spaceId").GetGuid().ShouldBe(sensor.SpaceId);
        data.GetProperty("lotId").GetGuid().ShouldBe(lotId);
        data.Str("status").ShouldBe("occupied");
        data.GetProperty("changedAt").GetDateTimeOffset().ShouldBe(observedAt);
        // When the sensor last reported (this reading, or its receipt if the reports were refreshed first): how fresh the status is.
        data.GetProperty("observedAt").GetDateTimeOffset().ShouldBeGreaterThanOrEqualTo(observedAt);
        data.GetProperty("lotCounts").GetProperty("occupied").GetInt32().ShouldBe(1);
        data.GetProperty("lotCounts").GetProperty("unknown").GetInt32().ShouldBe(0);
        change.Id.ShouldBe(data.GetProperty("version").GetInt64().ToString(CultureInfo.InvariantCulture));
        change.Id.ShouldBe((await factory.ScalarAsync<long>("select version from space_status where space_id = $1", sensor.SpaceId)).ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Stream_ReconnectWithLastEventId_ReplaysWhatChangedSince()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var first = await op.CreateSensorAsync(lotId);
        var second = await op.CreateSensorAsync(lotId);
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForLotAsync(lotId, 2);

        long id;
        await using (var stream = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lotId={lotId}"))
        {
            await stream.NextAsync("the snapshot");
            using var device = factory.DeviceClient(first);
            await device.IngestAsync(Batch(Reading(null, "occupied")));
            var change = await stream.NextMatchingAsync(e => IsChangeOf(e, first.SpaceId), "the first space's change");
            id = long.Parse(change.Id!, CultureInfo.InvariantCulture);
        }
        // While the client is away the other space changes too.
        using (var device = factory.DeviceClient(second))
            await device.IngestAsync(Batch(Reading(null, "free")));

        await using var resumed = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lotId={lotId}", (id - 1).ToString(CultureInfo.InvariantCulture));
        var replayed = await resumed.NextAsync("the replayed change");
        var missed = await resumed.NextAsync("the change made while away");

        // No snapshot on a resume: the events continue where the client left off.
        replayed.Event.ShouldBe("availability");
        replayed.Id.ShouldBe(id.ToString(CultureInfo.InvariantCulture));
        replayed.Json.GetProperty("spaceId").GetGuid().ShouldBe(first.SpaceId);
        replayed.Json.Str("status").ShouldBe("occupied");
        missed.Event.ShouldBe("availability");
        missed.Json.GetProperty("spaceId").GetGuid().ShouldBe(second.SpaceId);
        missed.Json.Str("status").ShouldBe("free");
        long.Parse(missed.Id!, CultureInfo.InvariantCulture).ShouldBeGreaterThan(id);

        // Resuming from the latest id replays nothing; the next live change follows.
        await using var upToDate = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lotId={lotId}", missed.Id);
        using (var device = factory.DeviceClient(first))
            await device.IngestAsync(Batch(Reading(null, "free")));
        var next = await upToDate.NextAsync("the live change after resuming");
        next.Json.GetProperty("spaceId").GetGuid().ShouldBe(first.SpaceId);
        next.Json.Str("status").ShouldBe("free");
    }

    [Fact]
    public async Task Stream_ForAnArea_LeavesOutAFarLotsChanges()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var nearLot = (await op.CreateLotAtAsync(lat, lng, "Near")).Id();
        var near = await op.CreateSensorAsync(nearLot);
        // About 11 km north.
        var farLot = (await op.CreateLotAtAsync(lat + 0.1, lng, "Far")).Id();
        var far = await op.CreateSensorAsync(farLot);
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForLotAsync(nearLot, 1);
        await anonymous.WaitForLotAsync(farLot, 1);

        await using var stream = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lat={lat}&lng={lng}&radius=2000");
        var snapshot = await stream.NextAsync("the near lot's snapshot");
        snapshot.Event.ShouldBe("snapshot");
        snapshot.Json.GetProperty("lotId").GetGuid().ShouldBe(nearLot);

        using (var device = factory.DeviceClient(far))
            await device.IngestAsync(Batch(Reading(null, "occupied")));
        using (var device = factory.DeviceClient(near))
            await device.IngestAsync(Batch(Reading(null, "occupied")));

        var change = await stream.NextAsync("the near lot's change");
        change.Event.ShouldBe("availability");
        change.Json.GetProperty("lotId").GetGuid().ShouldBe(nearLot);
        change.Json.GetProperty("spaceId").GetGuid().ShouldBe(near.SpaceId);
        stream.Seen.ShouldNotContain(e => e.Data.Contains(farLot.ToString(), StringComparison.Ordinal));

        // A stream for the far area sees the far lot only.
        await using var farStream = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lat={lat + 0.1}&lng={lng}&radius=2000", "0");
        var replayed = await farStream.NextAsync("the far lot's change, replayed");
        replayed.Json.GetProperty("lotId").GetGuid().ShouldBe(farLot);
    }

    [Fact]
    public async Task Stream_AreaWithoutLots_AnswersAtOnceWithAnOpenStream()
    {
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();

        // Nothing to send yet, but the response (200, text/event-stream) must start, or clients and proxies wait on a silent request.
        await using var stream = await SseStream.OpenAsync(anonymous, $"/api/v1/availability/stream?lat={lat}&lng={lng}&radius=100");

        stream.Seen.ShouldBeEmpty();
    }
}
