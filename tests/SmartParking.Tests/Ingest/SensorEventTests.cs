using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary>
/// Sweeps only when a test calls it (after the one at start-up), and writes last_seen_at on every reading, so a test
/// decides when a sensor is offline and when it is heard again.
/// </summary>
public sealed class SensorEventsFactory : ManageFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Ingest:HealthSweepSeconds"] = "3600";
        settings["Ingest:LastSeenWriteSeconds"] = "0";
        settings["Ingest:LowBatteryPercent"] = "20";
    }
}

/// <summary>The events the sensors module records: offline and back, low battery, and status changes per lot and batch.</summary>
public sealed class SensorEventTests(SensorEventsFactory factory) : IClassFixture<SensorEventsFactory>
{
    private async Task<TestSensor> ReportingSensorAsync(HttpClient op, Guid? lotId = null)
    {
        var (lat, lng) = SomewhereNew();
        var sensor = await op.CreateSensorAsync(lotId ?? (await op.CreateLotAtAsync(lat, lng)).Id());
        using var device = factory.DeviceClient(sensor);
        await device.IngestAsync(Batch(Reading(null, "occupied", SecondsAgo(5))));
        return sensor;
    }

    /// <summary>Sweeps until a sweep has run on this node (another sweep may hold the lock at that moment).</summary>
    private async Task SweepUntilAsync(Guid sensorId, int wentOffline)
    {
        var health = factory.Services.GetRequiredService<SensorHealthService>();
        await Poll.UntilAsync(async () =>
        {
            await health.SweepAsync(CancellationToken.None);
            return await factory.EventCountAsync("SensorWentOffline", sensorId);
        }, n => n >= wentOffline, Eventually, "the sweep's SensorWentOffline");
    }

    [Fact]
    public async Task Sweep_ASliceAtATime_EveryOverdueSpaceAndSensorMarked()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensors = new List<TestSensor>();
        for (var i = 0; i < 3; i++) sensors.Add(await ReportingSensorAsync(op, lotId));
        var spaceIds = sensors.Select(s => s.SpaceId).ToArray();
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '1 hour' where id = any($1)", sensors.Select(s => s.SensorId).ToArray());
        await factory.ExecuteAsync("update space_status set observed_at = now() - interval '1 hour' where space_id = any($1)", spaceIds);

        // One space and one sensor per slice: a big city's sweep, in miniature.
        var sweep = ActivatorUtilities.CreateInstance<SensorHealthService>(factory.Services);
        sweep.RowsPerSlice = 1;
        (await sweep.SweepAsync(CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(3);

        (await factory.ScalarAsync<long>("select count(*) from space_status where space_id = any($1) and status = 2", spaceIds)).ShouldBe(3);
        foreach (var sensor in sensors) (await factory.EventCountAsync("SensorWentOffline", sensor.SensorId)).ShouldBe(1);
    }

    [Fact]
    public async Task Sweep_SensorOverdue_RecordsOneSensorWentOfflineAndASecondSweepNone()
    {
        using var op = factory.OperatorClient();
        var sensor = await ReportingSensorAsync(op);
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '1 hour' where id = $1", sensor.SensorId);

        await SweepUntilAsync(sensor.SensorId, 1);
        await factory.Services.GetRequiredService<SensorHealthService>().SweepAsync(CancellationToken.None);

        (await factory.EventCountAsync("SensorWentOffline", sensor.SensorId)).ShouldBe(1);
        var payload = JsonDocument.Parse(await factory.ScalarAsync<string>(
            "select payload::text from domain_events where type = 'SensorWentOffline' and aggregate_id = $1", sensor.SensorId.ToString())).RootElement;
        payload.GetProperty("sensor").GetProperty("serial").GetString().ShouldBe(sensor.Serial);
        payload.GetProperty("sensor").GetProperty("spaceId").GetGuid().ShouldBe(sensor.SpaceId);
        payload.GetProperty("lastSeenAt").ValueKind.ShouldBe(JsonValueKind.String);
    }

    [Fact]
    public async Task Sweep_SpaceTurnsUnknown_RecordsSpaceStatusChangedForItsLot()
    {
        using var op = factory.OperatorClient();
        var sensor = await ReportingSensorAsync(op);
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '1 hour' where id = $1", sensor.SensorId);
        await factory.ExecuteAsync("update space_status set observed_at = now() - interval '1 hour' where space_id = $1", sensor.SpaceId);

        await SweepUntilAsync(sensor.SensorId, 1);

        var changed = JsonDocument.Parse((await factory.ColumnAsync(
            "select payload::text from domain_events where type = 'SpaceStatusChanged' and aggregate_id = $1 order by recorded desc limit 1", factory.TenantId.ToString())).Single()).RootElement;
        Spaces(changed).ShouldBe(new Dictionary<Guid, string> { [sensor.SpaceId] = "unknown" });
        Lots(changed).ShouldBe([sensor.LotId]);
    }

    [Fact]
    public async Task Ingest_OfflineSensorReportsAgain_RecordsOneSensorCameOnline()
    {
        using var op = factory.OperatorClient();
        var sensor = await ReportingSensorAsync(op);
        (await factory.EventCountAsync("SensorCameOnline", sensor.SensorId)).ShouldBe(0, "a sensor never marked offline does not come online");
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '1 hour' where id = $1", sensor.SensorId);
        await SweepUntilAsync(sensor.SensorId, 1);

        using (var device = factory.DeviceClient(sensor))
        {
            await device.IngestAsync(Batch(Reading(null, "free", SecondsAgo(2))));
            await device.IngestAsync(Batch(Reading(null, "occupied", SecondsAgo(1))));
        }

        (await factory.EventCountAsync("SensorCameOnline", sensor.SensorId)).ShouldBe(1);
        (await factory.ScalarAsync<bool>("select offline_since is null from sensors where id = $1", sensor.SensorId)).ShouldBeTrue();
        // Silent again: offline again, a second transition.
        await factory.ExecuteAsync("update sensors set last_seen_at = now() - interval '1 hour' where id = $1", sensor.SensorId);
        await SweepUntilAsync(sensor.SensorId, 2);
    }

    [Fact]
    public async Task Heartbeat_BatteryCrossesTheLimit_RecordsOneSensorBatteryLowUntilItRecovers()
    {
        using var op = factory.OperatorClient();
        var sensor = await ReportingSensorAsync(op);
        var pipeline = factory.Services.GetRequiredService<IngestPipeline>();
        Task<IngestOutcome> Beat(short battery) => pipeline.SubmitHeartbeatAsync(new Heartbeat(sensor.SensorId, DateTimeOffset.UtcNow, battery, -80, null), CancellationToken.None).AsTask();

        (await Beat(55)).ShouldBe(IngestOutcome.Accepted);
        await Beat(20);
        await Beat(15);
        (await factory.EventCountAsync("SensorBatteryLow", sensor.SensorId)).ShouldBe(1);
        (await factory.ScalarAsync<int>("select (payload->>'batteryPercent')::int from domain_events where type = 'SensorBatteryLow' and aggregate_id = $1", sensor.SensorId.ToString()))
            .ShouldBe(20);

        // A new battery re-arms it.
        await Beat(100);
        await Beat(12);
        (await factory.EventCountAsync("SensorBatteryLow", sensor.SensorId)).ShouldBe(2);
    }

    [Fact]
    public async Task Ingest_BatchTouchingTwoLots_RecordsOneSpaceStatusChangedForTheTenantWithEachChangedSpaceAndItsLot()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var north = (await op.CreateLotAtAsync(lat, lng, "North")).Id();
        var south = (await op.CreateLotAtAsync(lat + 0.01, lng, "South")).Id();
        var northA = await op.CreateSensorAsync(north);
        var northB = await op.CreateSensorAsync(north);
        var southA = await op.CreateSensorAsync(south);
        var unchanged = await op.CreateSensorAsync(south);
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);
        await gateway.IngestAsync(Batch(Reading(unchanged.Serial, "free", SecondsAgo(10))));
        var before = await factory.ScalarAsync<long>("select coalesce(max(recorded), 0) from domain_events");

        await gateway.IngestAsync(Batch(
            Reading(northA.Serial, "occupied", SecondsAgo(3)),
            Reading(northB.Serial, "free", SecondsAgo(3)),
            Reading(southA.Serial, "occupied", SecondsAgo(3)),
            Reading(unchanged.Serial, "free", SecondsAgo(2))));

        var events = (await factory.ColumnAsync(
            "select payload::text from domain_events where type = 'SpaceStatusChanged' and recorded > $1 and aggregate_id = $2", before, factory.TenantId.ToString()))
            .Select(p => JsonDocument.Parse(p).RootElement).ToList();
        // One event for the batch (per tenant, not per lot or reading): the log grows with batches.
        events.Count.ShouldBe(1);
        Spaces(events[0]).ShouldBe(new Dictionary<Guid, string> { [northA.SpaceId] = "occupied", [northB.SpaceId] = "free", [southA.SpaceId] = "occupied" }, ignoreOrder: true);
        events[0].GetProperty("spaces").EnumerateArray().ToDictionary(s => s.GetProperty("spaceId").GetGuid(), s => s.GetProperty("lotId").GetGuid())
            .ShouldBe(new Dictionary<Guid, Guid> { [northA.SpaceId] = north, [northB.SpaceId] = north, [southA.SpaceId] = south }, ignoreOrder: true);
        events[0].GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
    }

    private static Guid[] Lots(JsonElement changed) =>
        [.. changed.GetProperty("spaces").EnumerateArray().Select(s => s.GetProperty("lotId").GetGuid()).Distinct()];

    private static Dictionary<Guid, string> Spaces(JsonElement changed) =>
        changed.GetProperty("spaces").EnumerateArray().ToDictionary(s => s.GetProperty("spaceId").GetGuid(), s => s.GetProperty("status").GetString()!);
}
