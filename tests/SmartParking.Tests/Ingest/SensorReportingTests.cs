using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Availability;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary>
/// A server on a <see cref="StoppedClock"/> whose health sweep runs only when a test calls it, so a test moves time past
/// a sensor's overdue limit instead of waiting. Cameras are expected every 600 s, FIWARE-fed spaces every 1800 s; the
/// rest keeps the global default (30 s, so overdue after 2 × 30 + 30 = 90 s, as before).
/// </summary>
public sealed class ReportingFactory : StoppedClockFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Ingest:HeartbeatSecondsByKind:camera"] = "600";
        settings["Ingest:FeedHeartbeatSeconds"] = "1800";
    }
}

public sealed class SensorReportingTests(ReportingFactory factory) : IClassFixture<ReportingFactory>
{
    /// <summary>Each test has its own tenant and operator: its token is fresh for the test's clock.</summary>
    private async Task<(HttpClient Operator, Guid LotId)> NewLotAsync()
    {
        var (_, op, _) = await factory.NewTenantWithOperatorAsync();
        var (lat, lng) = SomewhereNew();
        return (op, (await op.CreateLotAtAsync(lat, lng)).Id());
    }

    private async Task<TestSensor> SensorOfKindAsync(HttpClient op, Guid lotId, string kind, int? heartbeatSeconds = null)
    {
        var space = await op.CreateSpaceAsync(lotId, Payloads.Space("S-" + Guid.NewGuid().ToString("N")[..6]));
        var body = Payloads.Sensor(Payloads.NewSerial("REP"), kind, space.Id());
        if (heartbeatSeconds is { } seconds) body["heartbeatSeconds"] = seconds;
        var created = await op.CreateSensorAsync(body);
        return new TestSensor(lotId, space.Id(), created.GetProperty("sensor").Id(), body["serial"]!.GetValue<string>(), created.Str("deviceSecret"));
    }

    private async Task ReportAsync(TestSensor sensor, string status)
    {
        using var device = factory.DeviceClient(sensor);
        await device.IngestAsync(Batch(Reading(null, status)));
    }

    private Task AdvanceAsync(TimeSpan by) => factory.AdvanceAsync(by);

    private async Task<JsonElement> SpaceAsync(Guid lotId, Guid spaceId)
    {
        using var anonymous = factory.Anonymous();
        return await anonymous.SpaceAvailabilityAsync(lotId, spaceId);
    }

    private async Task<JsonElement> WaitForAsync(Guid lotId, Guid spaceId, string status)
    {
        using var anonymous = factory.Anonymous();
        return await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, status);
    }

    private static double Confidence(JsonElement space) => space.GetProperty("confidence").GetDouble();

    [Fact]
    public async Task KindDefault_CameraKeepsItsStatePastTheGlobalLimitThenGoesUnknownWhenOverdue()
    {
        var (op, lotId) = await NewLotAsync();
        var camera = await SensorOfKindAsync(op, lotId, "camera");
        var magnetometer = await SensorOfKindAsync(op, lotId, "magnetometer");
        await ReportAsync(camera, "occupied");
        await ReportAsync(magnetometer, "occupied");
        await WaitForAsync(lotId, camera.SpaceId, "occupied");
        await WaitForAsync(lotId, magnetometer.SpaceId, "occupied");

        await AdvanceAsync(TimeSpan.FromSeconds(91));

        // The magnetometer has no setting anywhere: 90 s, as before.
        await WaitForAsync(lotId, magnetometer.SpaceId, "unknown");
        var space = await SpaceAsync(lotId, camera.SpaceId);
        space.Str("status").ShouldBe("occupied");
        space.GetProperty("ageSeconds").GetInt32().ShouldBe(91);
        Confidence(space).ShouldBe(1);

        // 2 × 600 + 30 s.
        await AdvanceAsync(TimeSpan.FromSeconds(1230 - 91 + 1));

        await WaitForAsync(lotId, camera.SpaceId, "unknown");
    }

    [Fact]
    public async Task LotPolicy_OverridesTheKindDefault_AndConfidenceFallsOnceAReportIsDue()
    {
        var (op, lotId) = await NewLotAsync();
        (await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy", new { heartbeatSeconds = 3600 })).ShouldHaveStatusAsync(HttpStatusCode.OK))
            .GetProperty("heartbeatSeconds").GetInt32().ShouldBe(3600);
        (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy")).GetProperty("heartbeatSeconds").GetInt32().ShouldBe(3600);
        var sensor = await SensorOfKindAsync(op, lotId, "camera");
        await ReportAsync(sensor, "free");
        await WaitForAsync(lotId, sensor.SpaceId, "free");

        await AdvanceAsync(TimeSpan.FromSeconds(3000));
        var withinInterval = await SpaceAsync(lotId, sensor.SpaceId);
        await AdvanceAsync(TimeSpan.FromSeconds(2000));
        var late = await SpaceAsync(lotId, sensor.SpaceId);
        await AdvanceAsync(TimeSpan.FromSeconds(2000));
        var later = await SpaceAsync(lotId, sensor.SpaceId);

        withinInterval.Str("status").ShouldBe("free");
        Confidence(withinInterval).ShouldBe(1);
        late.Str("status").ShouldBe("free");
        late.GetProperty("ageSeconds").GetInt32().ShouldBe(5000);
        Confidence(late).ShouldBeInRange(0.01, 0.99);
        using (var anonymous = factory.Anonymous())
            (await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}/availability")).GetProperty("staleSpaces").GetInt32().ShouldBe(1);
        later.Str("status").ShouldBe("free");
        Confidence(later).ShouldBeLessThan(Confidence(late));

        // 2 × 3600 + 30 s.
        await AdvanceAsync(TimeSpan.FromSeconds(7230 - 7000 + 1));
        await WaitForAsync(lotId, sensor.SpaceId, "unknown");
    }

    [Fact]
    public async Task SensorSetting_OverridesTheLotPolicy_InAvailabilityAndTheRegistry()
    {
        var (op, lotId) = await NewLotAsync();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy", new { heartbeatSeconds = 3600 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var chatty = await SensorOfKindAsync(op, lotId, "magnetometer", heartbeatSeconds: 60);
        var quiet = await SensorOfKindAsync(op, lotId, "magnetometer");
        (await op.GetJsonAsync($"/api/v1/manage/sensors/{chatty.SensorId}")).GetProperty("heartbeatSeconds").GetInt32().ShouldBe(60);
        await ReportAsync(chatty, "occupied");
        await ReportAsync(quiet, "occupied");
        await WaitForAsync(lotId, chatty.SpaceId, "occupied");

        // 2 × 60 + 30 s.
        await AdvanceAsync(TimeSpan.FromSeconds(151));

        await WaitForAsync(lotId, chatty.SpaceId, "unknown");
        (await SpaceAsync(lotId, quiet.SpaceId)).Str("status").ShouldBe("occupied");
        var sensor = await op.GetJsonAsync($"/api/v1/manage/sensors/{chatty.SensorId}");
        sensor.Str("health").ShouldBe("offline");
        sensor.GetProperty("expectedSeconds").GetInt32().ShouldBe(60);
        (await op.GetJsonAsync($"/api/v1/manage/sensors/{quiet.SensorId}")).Str("health").ShouldBe("online");
        var offline = (await op.GetJsonAsync($"/api/v1/manage/sensors?lotId={lotId}&health=offline")).Items().Select(s => s.Id()).ToList();
        offline.ShouldBe([chatty.SensorId]);
        var health = (await op.GetJsonAsync($"/api/v1/manage/sensors/health?lotId={lotId}")).EnumerateArray().Single();
        health.GetProperty("online").GetInt32().ShouldBe(1);
        health.GetProperty("offline").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task OnChangeSensor_SurvivesWellPast90Seconds_AReportMakesItFreshAgain_ThenOverdueGoesUnknown()
    {
        var (op, lotId) = await NewLotAsync();
        var sensor = await SensorOfKindAsync(op, lotId, "magnetometer", heartbeatSeconds: 600);
        await ReportAsync(sensor, "occupied");
        await WaitForAsync(lotId, sensor.SpaceId, "occupied");

        await AdvanceAsync(TimeSpan.FromSeconds(1000));
        var stale = await SpaceAsync(lotId, sensor.SpaceId);
        stale.Str("status").ShouldBe("occupied");
        Confidence(stale).ShouldBeLessThan(1);
        // The same state again (a heartbeat-like report): no change for the feed, but fresh again.
        await ReportAsync(sensor, "occupied");
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        var fresh = await SpaceAsync(lotId, sensor.SpaceId);

        fresh.Str("status").ShouldBe("occupied");
        fresh.GetProperty("ageSeconds").GetInt32().ShouldBe(1);
        Confidence(fresh).ShouldBe(1);
        fresh.GetProperty("observedAt").GetDateTimeOffset().ShouldBe(factory.Clock.GetUtcNow().AddSeconds(-1), TimeSpan.FromMilliseconds(1));
        await AdvanceAsync(TimeSpan.FromSeconds(1000));
        (await SpaceAsync(lotId, sensor.SpaceId)).Str("status").ShouldBe("occupied");

        await AdvanceAsync(TimeSpan.FromSeconds(1230 - 1001 + 1));
        await WaitForAsync(lotId, sensor.SpaceId, "unknown");
    }

    [Fact]
    public async Task NgsiLdFeed_WithoutHeartbeats_KeepsItsStateWithItsAgeUntilTheFeedIsOverdue()
    {
        var (op, lotId) = await NewLotAsync();
        var space = await op.CreateSpaceAsync(lotId, Payloads.Space("F1"));
        var spotId = $"urn:ngsi-ld:ParkingSpot:{Guid.NewGuid():N}";
        await factory.ExecuteAsync("update spaces set external_id = $1 where id = $2", spotId, space.Id());
        var (_, key) = await op.CreateGatewayAsync("FIWARE IoT agent");
        using var agent = factory.GatewayClient(key);
        var entity = new JsonArray(new JsonObject { ["id"] = spotId, ["type"] = "ParkingSpot", ["status"] = new JsonObject { ["type"] = "Property", ["value"] = "free" } });
        var upserted = await Poll.UntilAsync(
            async () => (await agent.PostAsync("/ngsi-ld/v1/entityOperations/upsert", new StringContent(entity.ToJsonString(), Encoding.UTF8, "application/ld+json"))).StatusCode,
            s => s == HttpStatusCode.NoContent, Eventually, "the new FIWARE id to be known to ingest");
        upserted.ShouldBe(HttpStatusCode.NoContent);
        await WaitForAsync(lotId, space.Id(), "free");

        await AdvanceAsync(TimeSpan.FromSeconds(600));

        var shown = await SpaceAsync(lotId, space.Id());
        shown.Str("status").ShouldBe("free");
        shown.GetProperty("ageSeconds").GetInt32().ShouldBe(600);
        Confidence(shown).ShouldBe(1);
        using var anonymous = factory.Anonymous();
        var published = (await anonymous.GetJsonAsync("/ngsi-ld/v1/entities?type=ParkingSpot&limit=1000")).EnumerateArray().Single(e => e.Str("id") == spotId);
        published.GetProperty("status").Str("value").ShouldBe("free");

        // 2 × 1800 + 30 s after the last report.
        await AdvanceAsync(TimeSpan.FromSeconds(3630 - 600 + 1));
        await WaitForAsync(lotId, space.Id(), "unknown");
    }

    [Fact]
    public async Task SensorPolicy_OtherTenantsLot_NotFoundAndUnchanged()
    {
        var (_, lotId) = await NewLotAsync();
        var (_, stranger, _) = await factory.NewTenantWithOperatorAsync();

        (await stranger.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy", new { heartbeatSeconds = 60 })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.GetAsync($"/api/v1/manage/lots/{lotId}/sensor-policy")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.DeleteAsync($"/api/v1/manage/lots/{lotId}/sensor-policy")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var anonymous = factory.Anonymous();
        (await anonymous.GetAsync($"/api/v1/manage/lots/{lotId}/sensor-policy")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        (await factory.ScalarAsync<long>("select count(*) from sensor_lot_policies where lot_id = $1", lotId)).ShouldBe(0);
    }

    [Fact]
    public async Task SensorPolicy_DeleteGoesBackToTheDefaults()
    {
        var (op, lotId) = await NewLotAsync();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy", new { heartbeatSeconds = 3600 })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await op.DeleteAsync($"/api/v1/manage/lots/{lotId}/sensor-policy")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy")).GetProperty("heartbeatSeconds").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-30)]
    [InlineData(604_801)]
    public async Task HeartbeatSeconds_OutOfRange_ProblemNamesTheField(int seconds)
    {
        var (op, lotId) = await NewLotAsync();
        var space = await op.CreateSpaceAsync(lotId, Payloads.Space("H1"));
        var body = Payloads.Sensor(Payloads.NewSerial("BAD"), spaceId: space.Id());
        body["heartbeatSeconds"] = seconds;

        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy", new { heartbeatSeconds = seconds }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "heartbeatSeconds");
        await (await op.PostAsJsonAsync("/api/v1/manage/sensors", body)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "heartbeatSeconds");
    }

    [Fact]
    public async Task SensorPolicy_MissingHeartbeat_ProblemNamesTheField()
    {
        var (op, lotId) = await NewLotAsync();

        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/sensor-policy", new { })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "heartbeatSeconds");
    }
}
