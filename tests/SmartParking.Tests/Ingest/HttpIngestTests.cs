using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary><c>POST /api/v1/ingest/readings</c>: who may post what, per-item results, limits and duplicates.</summary>
public sealed class HttpIngestTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private async Task<(HttpClient Operator, Guid LotId)> NewLotAsync()
    {
        var client = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        return (client, (await client.CreateLotAtAsync(lat, lng)).Id());
    }

    [Fact]
    public async Task Ingest_DeviceBasicAuth_Returns202AndStoresTheReading()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        var observedAt = SecondsAgo(30);

        var result = await device.IngestAsync(Batch(Reading(sensor.Serial, "occupied", observedAt)));

        result.GetProperty("accepted").GetInt32().ShouldBe(1);
        result.GetProperty("duplicates").GetInt32().ShouldBe(0);
        result.GetProperty("rejected").GetInt32().ShouldBe(0);
        var item = result.ResultItems().ShouldHaveSingleItem();
        item.GetProperty("index").GetInt32().ShouldBe(0);
        item.Str("sensorId").ShouldBe(sensor.Serial);
        item.Str("outcome").ShouldBe("accepted");
        // 202 means durable: the row is there without waiting.
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBe([Stored(1, observedAt)]);
        (await factory.ScalarAsync<short>("select source from sensor_readings where space_id = $1", sensor.SpaceId)).ShouldBe((short)1);
        (await factory.ScalarAsync<Guid>("select sensor_id from sensor_readings where space_id = $1", sensor.SpaceId)).ShouldBe(sensor.SensorId);
        (await factory.ScalarAsync<long>("select count(*) from sensors where id = $1 and last_seen_at is not null", sensor.SensorId)).ShouldBe(1);
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
    }

    [Fact]
    public async Task SensorReadings_AfterIngest_ListedNewestFirstWithinTheWindow()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        var (older, newer, outside) = (SecondsAgo(120), SecondsAgo(60), DateTimeOffset.UtcNow.AddDays(-2));
        await device.IngestAsync(Batch(Reading(sensor.Serial, "free", outside), Reading(sensor.Serial, "occupied", older), Reading(sensor.Serial, "free", newer)));

        var readings = (await op.GetJsonAsync($"/api/v1/manage/sensors/{sensor.SensorId}/readings")).EnumerateArray().ToList();

        readings.Select(r => (r.Str("status"), r.Str("source"))).ShouldBe([("free", "http"), ("occupied", "http")]);
        readings[0].GetProperty("observedAt").GetDateTimeOffset().ShouldBe(newer, TimeSpan.FromMilliseconds(1));
        var window = $"from={Uri.EscapeDataString(outside.AddMinutes(-1).ToString("O"))}&to={Uri.EscapeDataString(outside.AddMinutes(1).ToString("O"))}";
        (await op.GetJsonAsync($"/api/v1/manage/sensors/{sensor.SensorId}/readings?{window}")).GetArrayLength().ShouldBe(1);
        await (await op.GetAsync($"/api/v1/manage/sensors/{sensor.SensorId}/readings?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z"))
            .ShouldBeProblemAsync(System.Net.HttpStatusCode.BadRequest, "from");
    }

    [Fact]
    public async Task Ingest_DeviceOmitsSensorIdInABareArray_UsesItsOwnSerialForEachPayloadShape()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        var t = SecondsAgo(120);
        var body = new JsonArray(
            new JsonObject { ["occupied"] = true, ["observedAt"] = Iso(t) },
            new JsonObject { ["status"] = new JsonObject { ["type"] = "Property", ["value"] = "free", ["observedAt"] = Iso(t.AddSeconds(10)) } },
            new JsonObject { ["status"] = "closed", ["timestamp"] = t.AddSeconds(20).ToUnixTimeSeconds() });

        var result = await device.IngestAsync(body);

        result.GetProperty("accepted").GetInt32().ShouldBe(3, result.ToString());
        result.ResultItems().Select(i => i.Str("sensorId")).ShouldAllBe(s => s == sensor.Serial);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBe([Stored(1, t), Stored(0, t.AddSeconds(10)), Stored(3, t.AddSeconds(20))]);
        using var anonymous = factory.Anonymous();
        // closed is shown to drivers as out of service.
        await anonymous.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "out_of_service");
    }

    [Fact]
    public async Task Ingest_DeviceSendsAnotherSensorsReading_ItemRejectedAndThatSpaceUnchanged()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var own = await op.CreateSensorAsync(lotId);
        var other = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(own);

        var result = await device.IngestAsync(Batch(Reading(other.Serial, "occupied", SecondsAgo(5)), Reading(own.Serial, "free", SecondsAgo(5))));

        result.GetProperty("accepted").GetInt32().ShouldBe(1);
        result.GetProperty("rejected").GetInt32().ShouldBe(1);
        var rejected = result.ResultItems()[0];
        rejected.Str("outcome").ShouldBe("rejected");
        rejected.Str("error").ShouldContain("only its own readings");
        (await factory.StoredReadingsAsync(other.SpaceId)).ShouldBeEmpty();
        (await factory.ScalarAsync<long>("select count(*) from space_status where space_id = $1", other.SpaceId)).ShouldBe(0);
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(lotId, own.SpaceId, "free");
        (await anonymous.SpaceAvailabilityAsync(lotId, other.SpaceId)).Str("status").ShouldBe("unknown");
    }

    [Fact]
    public async Task Ingest_GatewayKey_PostsForAnySensorOfItsTenant()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var a = await op.CreateSensorAsync(lotId);
        var b = await op.CreateSensorAsync(lotId);
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);

        var result = await gateway.IngestAsync(Batch(Reading(a.Serial, "occupied", SecondsAgo(3)), Reading(b.Serial, "free", SecondsAgo(3))));

        result.GetProperty("accepted").GetInt32().ShouldBe(2);
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(lotId, a.SpaceId, "occupied");
        await anonymous.WaitForSpaceStatusAsync(lotId, b.SpaceId, "free");
    }

    [Fact]
    public async Task Ingest_GatewayWithoutSensorId_RejectsTheItem()
    {
        var (op, _) = await NewLotAsync();
        using var _op = op;
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);

        var problem = await (await gateway.PostReadingsAsync(new JsonArray(new JsonObject { ["status"] = "free" }))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "readings[0]");

        problem.GetProperty("errors").GetProperty("readings[0]")[0].GetString().ShouldBe("sensorId is required.");
    }

    [Fact]
    public async Task Ingest_GatewayOfTenantAPostsForTenantBsSensor_RejectedAndBsStateUnchanged()
    {
        var (tenantB, opB, _) = await factory.NewTenantWithOperatorAsync();
        using var _b = opB;
        var (lat, lng) = SomewhereNew();
        var lotB = (await opB.CreateLotAtAsync(lat, lng)).Id();
        var sensorB = await opB.CreateSensorAsync(lotB);
        using (var deviceB = factory.DeviceClient(sensorB))
            await deviceB.IngestAsync(Batch(Reading(null, "free", SecondsAgo(60))));
        var before = await factory.StoredReadingsAsync(sensorB.SpaceId);
        using var opA = factory.OperatorClient();
        var (_, keyA) = await opA.CreateGatewayAsync("tenant A gateway");
        using var gatewayA = factory.GatewayClient(keyA);

        var problem = await (await gatewayA.PostReadingsAsync(Batch(Reading(sensorB.Serial, "occupied", SecondsAgo(1))))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "readings[0]");

        // The same answer as for a serial nobody has: another tenant's sensors are not revealed.
        problem.GetProperty("errors").GetProperty("readings[0]")[0].GetString().ShouldBe($"sensor '{sensorB.Serial}' is not registered.");
        (await factory.StoredReadingsAsync(sensorB.SpaceId)).ShouldBe(before);
        (await factory.ScalarAsync<short>("select status from space_status where space_id = $1 and tenant_id = $2", sensorB.SpaceId, tenantB)).ShouldBe((short)0);
        using var anonymous = factory.Anonymous();
        (await anonymous.WaitForSpaceStatusAsync(lotB, sensorB.SpaceId, "free")).Str("status").ShouldBe("free");
    }

    [Fact]
    public async Task Ingest_WrongDeviceSecret_Returns401Problem()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        var other = await op.CreateSensorAsync(lotId);

        using var wrong = factory.BasicClient(sensor.Serial, "not-the-secret");
        await (await wrong.PostReadingsAsync(Batch(Reading(null, "free")))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        // Another sensor's valid secret is still the wrong secret.
        using var swapped = factory.BasicClient(sensor.Serial, other.Secret);
        await (await swapped.PostReadingsAsync(Batch(Reading(null, "free")))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        using var unknown = factory.BasicClient("no-such-serial", sensor.Secret);
        await (await unknown.PostReadingsAsync(Batch(Reading(null, "free")))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Ingest_NoCredentials_Returns401Problem()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        using var anonymous = factory.Anonymous();

        var problem = await (await anonymous.PostReadingsAsync(Batch(Reading(sensor.Serial, "free")))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);

        problem.Str("detail").ShouldContain(GatewayHeader);
        // An operator's bearer token is not a device credential either.
        await (await op.PostReadingsAsync(Batch(Reading(sensor.Serial, "free")))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        using var badKey = factory.GatewayClient("gw_not-a-key");
        await (await badKey.PostReadingsAsync(Batch(Reading(sensor.Serial, "free")))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Ingest_MixedBatch_ReportsEachItemAndStoresOnlyTheGoodOnes()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        var unassigned = Payloads.NewSerial("UNA");
        await op.CreateSensorAsync(Payloads.Sensor(unassigned));
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);
        var good = SecondsAgo(10);

        var result = await gateway.IngestAsync(Batch(
            Reading("no-such-serial", "free"),
            Reading(sensor.Serial, "parked"),
            Reading(sensor.Serial, "free", DateTimeOffset.UtcNow.AddHours(1)),
            Reading(sensor.Serial, "free", DateTimeOffset.UtcNow.AddDays(-365)),
            new JsonObject { ["sensorId"] = sensor.Serial, ["status"] = "free", ["observedAt"] = "yesterday" },
            new JsonObject { ["sensorId"] = sensor.Serial },
            Reading(unassigned, "free"),
            JsonValue.Create(42),
            Reading(sensor.Serial, "occupied", good)));

        result.GetProperty("accepted").GetInt32().ShouldBe(1);
        result.GetProperty("rejected").GetInt32().ShouldBe(8);
        var items = result.ResultItems();
        items.Select(i => i.GetProperty("index").GetInt32()).ShouldBe(Enumerable.Range(0, 9));
        items.Take(8).ShouldAllBe(i => i.Str("outcome") == "rejected");
        items[0].Str("error").ShouldBe("sensor 'no-such-serial' is not registered.");
        items[1].Str("error").ShouldBe("status must be free, occupied, closed or unknown.");
        items[2].Str("error").ShouldBe("observedAt is in the future.");
        items[3].Str("error").ShouldBe("observedAt is older than the retention period.");
        items[4].Str("error").ShouldBe("observedAt is not a valid date-time.");
        items[5].Str("error").ShouldContain("needs 'status'");
        items[6].Str("error").ShouldBe($"sensor '{unassigned}' is not assigned to a space.");
        items[7].Str("error").ShouldBe("sensorId is required.");
        items[8].Str("outcome").ShouldBe("accepted");
        items[8].GetProperty("error").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBe([Stored(1, good)]);
    }

    [Fact]
    public async Task Ingest_1001Readings_Returns400NamingReadingsAndStoresNothing()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);
        var start = SecondsAgo(3600);

        var response = await device.PostReadingsAsync(Batch(Enumerable.Range(0, 1001).Select(i => (JsonNode)Reading(null, i % 2 == 0 ? "free" : "occupied", start.AddSeconds(i)))));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "readings");
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBeEmpty();
        // Exactly the limit is fine.
        var result = await device.IngestAsync(Batch(Enumerable.Range(0, 1000).Select(i => (JsonNode)Reading(null, i % 2 == 0 ? "free" : "occupied", start.AddSeconds(i)))));
        result.GetProperty("accepted").GetInt32().ShouldBe(1000);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).Count.ShouldBe(1000);
    }

    [Theory]
    [InlineData("""{"readings": [{"status": "free"}""", "body")]
    [InlineData("not json", "body")]
    [InlineData("""{"readings": []}""", "readings")]
    [InlineData("[]", "readings")]
    [InlineData("""{"readings": {"status": "free"}}""", "readings")]
    [InlineData("\"free\"", "readings")]
    public async Task Ingest_MalformedOrEmptyBody_Returns400NamingTheField(string body, string field)
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        using var device = factory.DeviceClient(sensor);

        var response = await device.PostAsync(ReadingsUrl, new StringContent(body, Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Ingest_SameReadingResent_AnsweredDuplicateAndStoredOnce()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        var (_, key) = await op.CreateGatewayAsync();
        using var device = factory.DeviceClient(sensor);
        using var gateway = factory.GatewayClient(key);
        var at = SecondsAgo(40);
        var batch = Batch(Reading(sensor.Serial, "occupied", at));

        (await device.IngestAsync(batch)).GetProperty("accepted").GetInt32().ShouldBe(1);
        var again = await device.IngestAsync(batch);
        // The same reading relayed by a gateway as well is still the same reading.
        var relayed = await gateway.IngestAsync(batch);
        // Twice in one request: the second copy is the duplicate.
        var twice = await device.IngestAsync(Batch(Reading(null, "free", at.AddSeconds(1)), Reading(null, "free", at.AddSeconds(1))));

        foreach (var result in new[] { again, relayed })
        {
            result.GetProperty("accepted").GetInt32().ShouldBe(0);
            result.GetProperty("duplicates").GetInt32().ShouldBe(1);
            result.ResultItems()[0].Str("outcome").ShouldBe("duplicate");
        }
        twice.ResultItems().Select(i => i.Str("outcome")).ShouldBe(["accepted", "duplicate"]);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).ShouldBe([Stored(1, at), Stored(0, at.AddSeconds(1))]);
        // A different status at the same time is not a duplicate.
        (await device.IngestAsync(Batch(Reading(null, "closed", at)))).GetProperty("accepted").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task Ingest_RevokedGatewayKey_Returns401AtOnce()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        var (gatewayId, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);
        // Used once, so the node has verified (and may have cached) the key.
        await gateway.IngestAsync(Batch(Reading(sensor.Serial, "free", SecondsAgo(20))));

        (await op.DeleteAsync($"/api/v1/manage/gateways/{gatewayId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await gateway.PostReadingsAsync(Batch(Reading(sensor.Serial, "occupied", SecondsAgo(10))))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        await (await gateway.PostAsync("/ngsi-ld/v1/entityOperations/upsert", new StringContent("[]", Encoding.UTF8, "application/json")))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        (await factory.StoredReadingsAsync(sensor.SpaceId)).Count.ShouldBe(1);
        var listed = await op.GetJsonAsync("/api/v1/manage/gateways");
        listed.EnumerateArray().Single(g => g.Id() == gatewayId).GetProperty("revokedAt").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.String);
    }

    [Fact]
    public async Task RevokeGateway_OtherTenantsGateway_Returns404AndKeyKeepsWorking()
    {
        var (op, lotId) = await NewLotAsync();
        using var _ = op;
        var sensor = await op.CreateSensorAsync(lotId);
        var (gatewayId, key) = await op.CreateGatewayAsync();
        var (_, stranger, _) = await factory.NewTenantWithOperatorAsync();
        using var _s = stranger;

        (await stranger.DeleteAsync($"/api/v1/manage/gateways/{gatewayId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        using var gateway = factory.GatewayClient(key);
        (await gateway.IngestAsync(Batch(Reading(sensor.Serial, "free", SecondsAgo(5))))).GetProperty("accepted").GetInt32().ShouldBe(1);
    }
}
