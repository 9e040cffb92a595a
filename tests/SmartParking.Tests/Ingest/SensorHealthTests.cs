using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary>Sensors count as offline after 5 s of silence (2 × 2 s + 1 s), checked every second.</summary>
public sealed class HealthFactory : ManageFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Ingest:HeartbeatSeconds"] = "2";
        settings["Ingest:OverdueGraceSeconds"] = "1";
        settings["Ingest:HealthSweepSeconds"] = "1";
    }
}

public sealed class SensorHealthTests(HealthFactory factory) : IClassFixture<HealthFactory>
{
    /// <summary>SensorHealthService's advisory lock key, as another node would take it.</summary>
    private const long SweepLockKey = 0x5350_4845_414C;

    [Fact]
    public async Task SilentSensor_SpaceBecomesUnknownAndANewReadingBringsItBack()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        var closed = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        using var anonymous = factory.Anonymous();

        await device.IngestAsync(Batch(Reading(null, "occupied")));
        using (var closedDevice = factory.DeviceClient(closed))
            await closedDevice.IngestAsync(Batch(Reading(null, "closed")));
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");

        // Nothing more is sent.
        var offline = await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "unknown", TimeSpan.FromSeconds(30));

        var observedAt = new DateTimeOffset(await factory.ScalarAsync<DateTime>("select observed_at from space_status where space_id = $1", sensor.SpaceId));
        offline.GetProperty("since").GetDateTimeOffset().ShouldBeGreaterThan(observedAt);
        (await factory.ScalarAsync<short>("select status from space_status where space_id = $1", sensor.SpaceId)).ShouldBe((short)2);
        // A closed space stays closed: its sensor going quiet says nothing new.
        (await anonymous.SpaceAvailabilityAsync(lotId, closed.SpaceId)).Str("status").ShouldBe("out_of_service");
        // The readings themselves are untouched: unknown is a state, not a reading.
        (await factory.StoredReadingsAsync(sensor.SpaceId)).Count.ShouldBe(1);

        await device.IngestAsync(Batch(Reading(null, "free")));

        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "free");
    }

    [Fact]
    public async Task SweepOnTwoNodesAtOnce_OnlyOneMarksTheSpaces()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        using (var device = factory.DeviceClient(sensor))
            await device.IngestAsync(Batch(Reading(null, "occupied")));
        var health = factory.Services.GetRequiredService<SensorHealthService>();
        await using var blocker = await factory.Sql.OpenConnectionAsync();
        await using var tx = await blocker.BeginTransactionAsync();
        // Another node holds the sweep lock (the server's key), so neither this node's timer nor the call below may sweep.
        await using (var take = new Npgsql.NpgsqlCommand("select pg_advisory_xact_lock($1)", blocker, tx) { Parameters = { new() { Value = SweepLockKey } } })
            await take.ExecuteNonQueryAsync();
        // Long silent, so any sweep from now on marks it.
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '1 hour' where id = $1", sensor.SensorId);

        (await health.SweepAsync(CancellationToken.None)).ShouldBe(0);
        (await factory.ScalarAsync<short>("select status from space_status where space_id = $1", sensor.SpaceId)).ShouldBe((short)1);
        await tx.RollbackAsync();

        await Poll.UntilAsync(() => factory.ScalarAsync<short>("select status from space_status where space_id = $1", sensor.SpaceId), s => s == 2,
            TimeSpan.FromSeconds(30), "a sweep once the lock is free");
    }
}

/// <summary>Daily partitions of sensor_readings are dropped whole once past the retention (90 days by default).</summary>
public sealed class RetentionTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private Task<List<string>> PartitionsAsync() => factory.ColumnAsync("""
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
        where p.relname = 'sensor_readings' order by 1
        """);

    [Fact]
    public async Task DropExpired_PartitionOlderThanRetention_DroppedAndRecentOnesKept()
    {
        var partitions = factory.Services.GetRequiredService<ReadingPartitions>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        // The health service's first sweep creates tomorrow's partition, and the retention job's start-up run drops expired
        // ones (then daily); let both finish so neither can race this test.
        await Poll.UntilAsync(PartitionsAsync, p => p.Contains(ReadingPartitions.NameOf(today.AddDays(1))), TimeSpan.FromSeconds(30), "the start-up partition pass");
        await Poll.UntilAsync(() => factory.ScalarAsync<long>("select count(*) from retention_runs where data_class = 'readings'"), n => n > 0,
            TimeSpan.FromSeconds(30), "the start-up retention run");
        var old = today.AddDays(-100);
        var edge = today.AddDays(-90);
        await using var connection = await factory.Sql.OpenConnectionAsync();
        await partitions.EnsureAsync(connection, [old, today.AddDays(-91), edge, today], CancellationToken.None);
        var made = await PartitionsAsync();
        foreach (var day in new[] { old, today.AddDays(-91), edge, today }) made.ShouldContain(ReadingPartitions.NameOf(day));
        // A reading in today's partition must survive.
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var sensor = await op.CreateSensorAsync((await op.CreateLotAtAsync(lat, lng)).Id());
        using (var device = factory.DeviceClient(sensor))
            await device.IngestAsync(Batch(Reading(null, "free")));

        var dropped = await partitions.DropExpiredAsync(connection, today.AddDays(-90), CancellationToken.None);

        dropped.ShouldBe(2);
        var left = await PartitionsAsync();
        left.ShouldNotContain(ReadingPartitions.NameOf(old));
        left.ShouldNotContain(ReadingPartitions.NameOf(today.AddDays(-91)));
        left.ShouldContain(ReadingPartitions.NameOf(edge));
        left.ShouldContain(ReadingPartitions.NameOf(today));
        (await factory.ScalarAsync<long>("select count(*) from pg_class where relname = $1", ReadingPartitions.NameOf(old))).ShouldBe(0);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).Count.ShouldBe(1);

        // Dropped partitions are forgotten: asked for again, the day gets a new one instead of a write failing.
        await partitions.EnsureAsync(connection, [old], CancellationToken.None);
        (await PartitionsAsync()).ShouldContain(ReadingPartitions.NameOf(old));
    }

    [Fact]
    public async Task Ingest_ReadingOlderThanRetention_RejectedSoNoPartitionIsMadeForIt()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var sensor = await op.CreateSensorAsync((await op.CreateLotAtAsync(lat, lng)).Id());
        using var device = factory.DeviceClient(sensor);
        var tooOld = DateTimeOffset.UtcNow.AddDays(-95);

        var problem = await (await device.PostReadingsAsync(Batch(Reading(null, "free", tooOld)))).ShouldBeProblemAsync(System.Net.HttpStatusCode.BadRequest, "readings[0]");

        problem.GetProperty("errors").GetProperty("readings[0]")[0].GetString().ShouldBe("observedAt is older than the retention period.");
        (await PartitionsAsync()).ShouldNotContain(ReadingPartitions.NameOf(DateOnly.FromDateTime(tooOld.UtcDateTime)));
    }
}
