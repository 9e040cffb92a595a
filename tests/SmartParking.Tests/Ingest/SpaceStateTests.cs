using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary>How readings become a space's state: the database keeps the newest observation, whatever order they arrive in.</summary>
public sealed class SpaceStateTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    /// <summary>
    /// Changes reach availability in version order, so once a later change to another space shows, every reading
    /// written before it has been applied (or, being no change, never will be).
    /// </summary>
    internal static async Task SettleAsync(ApiFactory factory, HttpClient anonymous, TestSensor marker)
    {
        var status = (await anonymous.SpaceAvailabilityAsync(marker.LotId, marker.SpaceId)).Str("status") == "occupied" ? "free" : "occupied";
        using (var device = factory.DeviceClient(marker))
            await device.IngestAsync(Batch(Reading(null, status)));
        await anonymous.WaitForSpaceStatusAsync(marker.LotId, marker.SpaceId, status);
    }

    [Fact]
    public async Task Ingest_OlderReadingAfterNewer_StateKeepsTheNewerAndBothAreStored()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        var marker = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        using var anonymous = factory.Anonymous();
        var newer = SecondsAgo(60);
        var older = newer.AddSeconds(-30);

        await device.IngestAsync(Batch(Reading(null, "occupied", newer)));
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        var late = await device.IngestAsync(Batch(Reading(null, "free", older)));
        await SettleAsync(factory, anonymous, marker);

        // Accepted and stored: it is history, just not the present.
        late.GetProperty("accepted").GetInt32().ShouldBe(1);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBe([Stored(0, older), Stored(1, newer)]);
        (await factory.ScalarAsync<short>("select status from space_status where space_id = $1", sensor.SpaceId)).ShouldBe((short)1);
        (await factory.ScalarAsync<DateTime>("select observed_at from space_status where space_id = $1", sensor.SpaceId)).ShouldBe(newer.UtcDateTime);
        var space = await anonymous.SpaceAvailabilityAsync(lotId, sensor.SpaceId);
        space.Str("status").ShouldBe("occupied");
        space.GetProperty("since").GetDateTimeOffset().ShouldBe(newer);
    }

    [Fact]
    public async Task Ingest_NewerAndOlderInOneBatch_StateTakesTheNewest()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        using var anonymous = factory.Anonymous();
        var t = SecondsAgo(100);

        await device.IngestAsync(Batch(Reading(null, "free", t.AddSeconds(20)), Reading(null, "occupied", t)));

        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "free");
        (await factory.ScalarAsync<DateTime>("select observed_at from space_status where space_id = $1", sensor.SpaceId)).ShouldBe(t.AddSeconds(20).UtcDateTime);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Ingest_SameStatusAgain_KeepsSinceAndTakesNoNewVersion()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        using var anonymous = factory.Anonymous();
        var t = SecondsAgo(200);

        await device.IngestAsync(Batch(Reading(null, "occupied", t)));
        var version = await factory.ScalarAsync<long>("select version from space_status where space_id = $1", sensor.SpaceId);
        await device.IngestAsync(Batch(Reading(null, "occupied", t.AddSeconds(30))));

        (await factory.ScalarAsync<long>("select version from space_status where space_id = $1", sensor.SpaceId)).ShouldBe(version);
        (await factory.ScalarAsync<DateTime>("select observed_at from space_status where space_id = $1", sensor.SpaceId)).ShouldBe(t.AddSeconds(30).UtcDateTime);
        var space = await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        space.GetProperty("since").GetDateTimeOffset().ShouldBe(t);
    }
}

public sealed class DebounceFactory : ManageFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings) => settings["Ingest:DebounceSeconds"] = "60";
}

/// <summary>Ingest:DebounceSeconds: a change within that time of the previous change is flapping and not shown.</summary>
public sealed class DebounceTests(DebounceFactory factory) : IClassFixture<DebounceFactory>
{
    [Fact]
    public async Task Ingest_ChangeWithinDebounce_IgnoredButChangeAfterItApplies()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        var marker = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        using var anonymous = factory.Anonymous();
        var t = SecondsAgo(300);

        await device.IngestAsync(Batch(Reading(null, "free", t)));
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "free");
        await device.IngestAsync(Batch(Reading(null, "occupied", t.AddSeconds(10))));
        await SpaceStateTests.SettleAsync(factory, anonymous, marker);

        (await anonymous.SpaceAvailabilityAsync(lotId, sensor.SpaceId)).Str("status").ShouldBe("free");
        (await factory.ScalarAsync<short>("select status from space_status where space_id = $1", sensor.SpaceId)).ShouldBe((short)0);

        // 70 s after the last change (t), not 60 s after the flapping reading: the window counts from the change.
        await device.IngestAsync(Batch(Reading(null, "occupied", t.AddSeconds(70))));

        var space = await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        space.GetProperty("since").GetDateTimeOffset().ShouldBe(t.AddSeconds(70));
        // Flapping readings are still history.
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBe([Stored(0, t), Stored(1, t.AddSeconds(10)), Stored(1, t.AddSeconds(70))]);
    }

    [Fact]
    public async Task Ingest_ChangeBackWithinDebounceOfTheLastChange_Ignored()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        var marker = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        using var anonymous = factory.Anonymous();
        var t = SecondsAgo(600);

        await device.IngestAsync(Batch(Reading(null, "free", t)));
        await device.IngestAsync(Batch(Reading(null, "occupied", t.AddSeconds(100))));
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        await device.IngestAsync(Batch(Reading(null, "free", t.AddSeconds(130))));
        await SpaceStateTests.SettleAsync(factory, anonymous, marker);

        (await anonymous.SpaceAvailabilityAsync(lotId, sensor.SpaceId)).Str("status").ShouldBe("occupied");
        await device.IngestAsync(Batch(Reading(null, "free", t.AddSeconds(161))));
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "free");
    }

    [Fact]
    public async Task Ingest_FirstReadingAfterUnknown_AppliesAtOnce()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        using var anonymous = factory.Anonymous();
        var t = SecondsAgo(400);

        await device.IngestAsync(Batch(Reading(null, "unknown", t)));
        await device.IngestAsync(Batch(Reading(null, "occupied", t.AddSeconds(5))));

        // Leaving unknown is news, not flapping.
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
    }

    [Fact]
    public async Task Ingest_ReadingForSpaceDeletedAfterItWasResolved_StoredWithoutStateAndTheRestOfTheBatchApplies()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        using var anonymous = factory.Anonymous();
        var now = SecondsAgo(1);
        // The sensor directory resolved this space a moment ago; it is gone by the time the batch is written.
        var goneSpace = Guid.NewGuid();
        Reading[] batch =
        [
            new(goneSpace, null, factory.TenantId, lotId, SpaceStatus.Occupied, now, now, ReadingSource.Http),
            new(sensor.SpaceId, sensor.SensorId, factory.TenantId, lotId, SpaceStatus.Occupied, now, now, ReadingSource.Http),
        ];

        factory.Services.GetRequiredService<IngestPipeline>().TrySubmitBatch(batch, out var done).ShouldBeTrue();

        (await done.WaitAsync(Eventually)).ShouldBe([IngestOutcome.Accepted, IngestOutcome.Accepted]);
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        (await factory.StoredReadingsAsync(goneSpace)).ShouldBe([Stored(1, now)]);
        (await factory.ScalarAsync<long>("select count(*) from space_status where space_id = $1", goneSpace)).ShouldBe(0);
    }
}
