using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Availability;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Availability;

/// <summary>The public availability API and the ParkAPI feed, fed by readings through the change feed.</summary>
public sealed class AvailabilityQueryTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private static string Counts(JsonElement counts) =>
        string.Join(" ", new[] { "free", "occupied", "reserved", "unknown", "outOfService", "total" }.Select(k => $"{k}={counts.GetProperty(k).GetInt32()}"));

    private static string CountsOf(JsonElement lot) => Counts(lot.GetProperty("counts"));

    /// <summary>Five spaces in every state a driver can see: free, occupied, unknown, closed by its sensor, out of service by the operator.</summary>
    private async Task<(Guid LotId, TestSensor Free, TestSensor Occupied, TestSensor Silent, TestSensor Closed, TestSensor Flagged, DateTimeOffset LastObserved)> SeedLotAsync(
        HttpClient op, double lat, double lng, string name = "Counted Garage", JsonArray? openingHours = null)
    {
        var body = Payloads.Lot(name, lat, lng);
        if (openingHours is not null) body["openingHours"] = openingHours;
        var lotId = (await op.CreateLotAsync(body)).Id();
        var free = await op.CreateSensorAsync(lotId, "A1");
        var occupied = await op.CreateSensorAsync(lotId, "A2");
        var silent = await op.CreateSensorAsync(lotId, "A3");
        var closed = await op.CreateSensorAsync(lotId, "E1", "ev");
        var flaggedSpace = Payloads.Space("H1", "accessible");
        flaggedSpace["outOfService"] = true;
        var flaggedId = (await op.CreateSpaceAsync(lotId, flaggedSpace)).Id();
        var flaggedSerial = Payloads.NewSerial("OOS");
        var flaggedSensor = await op.CreateSensorAsync(Payloads.Sensor(flaggedSerial, spaceId: flaggedId));
        var flagged = new TestSensor(lotId, flaggedId, flaggedSensor.GetProperty("sensor").Id(), flaggedSerial, flaggedSensor.Str("deviceSecret"));
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);
        var t = SecondsAgo(90);
        await gateway.IngestAsync(Batch(
            Reading(free.Serial, "free", t), Reading(occupied.Serial, "occupied", t.AddSeconds(1)),
            Reading(closed.Serial, "closed", t.AddSeconds(2)), Reading(flagged.Serial, "free", t.AddSeconds(3))));
        return (lotId, free, occupied, silent, closed, flagged, t.AddSeconds(3));
    }

    [Fact]
    public async Task Nearby_LotWithSpacesInEveryState_CountsEachStateAndEachType()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        var seeded = await SeedLotAsync(op, lat, lng);

        var lots = await Poll.UntilAsync(() => anonymous.GetJsonAsync($"/api/v1/availability?lat={lat}&lng={lng}&radius=500&byType=true"),
            r => r.GetArrayLength() == 1 && CountsOf(r[0]) == "free=1 occupied=1 reserved=0 unknown=1 outOfService=2 total=5", Eventually, "the lot's counts");
        (await anonymous.GetJsonAsync($"/api/v1/availability?lat={lat}&lng={lng}&radius=500"))[0].TryGetProperty("byType", out _).ShouldBeFalse();

        var lot = lots[0];
        lot.GetProperty("lotId").GetGuid().ShouldBe(seeded.LotId);
        lot.Str("name").ShouldBe("Counted Garage");
        lot.GetProperty("distanceMeters").GetDouble().ShouldBe(0, 1);
        lot.GetProperty("pricePerHour").GetDecimal().ShouldBe(25.5m);
        lot.Str("currency").ShouldBe("DKK");
        lot.GetProperty("updatedAt").GetDateTimeOffset().ShouldBe(seeded.LastObserved);
        lot.Str("trend").ShouldBeOneOf("filling", "emptying", "steady");
        var byType = lot.GetProperty("byType");
        byType.EnumerateObject().Select(p => p.Name).ShouldBe(["standard", "ev", "accessible"], ignoreOrder: true);
        Counts(byType.GetProperty("standard")).ShouldBe("free=1 occupied=1 reserved=0 unknown=1 outOfService=0 total=3");
        Counts(byType.GetProperty("ev")).ShouldBe("free=0 occupied=0 reserved=0 unknown=0 outOfService=1 total=1");
        Counts(byType.GetProperty("accessible")).ShouldBe("free=0 occupied=0 reserved=0 unknown=0 outOfService=1 total=1");
    }

    [Fact]
    public async Task Nearby_TypeFilter_CountsThatTypeOnlyAndLeavesOutLotsWithoutIt()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        var seeded = await SeedLotAsync(op, lat, lng, "Typed Garage");
        // About 300 m north: no EV spaces.
        var plainLot = (await op.CreateLotAtAsync(lat + 0.0027, lng, "Plain Garage")).Id();
        var plain = await op.CreateSensorAsync(plainLot, "P1");
        using (var device = factory.DeviceClient(plain))
            await device.IngestAsync(Batch(Reading(null, "free")));
        var url = $"/api/v1/availability?lat={lat}&lng={lng}&radius=1000";
        await Poll.UntilAsync(() => anonymous.GetJsonAsync(url),
            r => r.GetArrayLength() == 2 && CountsOf(r[0]) == "free=1 occupied=1 reserved=0 unknown=1 outOfService=2 total=5" && r[1].GetProperty("counts").GetProperty("free").GetInt32() == 1,
            Eventually, "both lots counted");

        var ev = await anonymous.GetJsonAsync(url + "&type=ev");
        var standard = await anonymous.GetJsonAsync(url + "&type=standard");
        var motorcycle = await anonymous.GetJsonAsync(url + "&type=motorcycle");
        var nearest = await anonymous.GetJsonAsync(url + "&limit=1");

        ev.GetArrayLength().ShouldBe(1);
        ev[0].GetProperty("lotId").GetGuid().ShouldBe(seeded.LotId);
        CountsOf(ev[0]).ShouldBe("free=0 occupied=0 reserved=0 unknown=0 outOfService=1 total=1");
        standard.EnumerateArray().Select(l => l.GetProperty("lotId").GetGuid()).ShouldBe([seeded.LotId, plainLot]);
        CountsOf(standard[0]).ShouldBe("free=1 occupied=1 reserved=0 unknown=1 outOfService=0 total=3");
        CountsOf(standard[1]).ShouldBe("free=1 occupied=0 reserved=0 unknown=0 outOfService=0 total=1");
        standard[1].GetProperty("distanceMeters").GetDouble().ShouldBe(300, 5);
        motorcycle.GetArrayLength().ShouldBe(0);
        nearest.EnumerateArray().Select(l => l.GetProperty("lotId").GetGuid()).ShouldBe([seeded.LotId]);
        // Outside the radius.
        (await anonymous.GetJsonAsync($"/api/v1/availability?lat={lat}&lng={lng}&radius=200")).EnumerateArray()
            .Select(l => l.GetProperty("lotId").GetGuid()).ShouldBe([seeded.LotId]);
    }

    [Fact]
    public async Task Nearby_EveryShape_WritesExactlyWhatTheSerializerWritesForTheRecords()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        // Quotes, markup and non-ASCII: the cached bytes must be escaped as the serializer escapes them.
        var first = (await SeedLotAsync(op, lat + 0.0003, lng, "Søndre \"P\" <Hus> & Co's")).LotId;
        var second = (await op.CreateLotAtAsync(lat + 0.0027, lng + 0.0011, "Plain Garage")).Id();
        var plain = await op.CreateSensorAsync(second, "P1");
        await op.CreateSensorAsync(second, "E7", "ev");
        using (var device = factory.DeviceClient(plain))
            await device.IngestAsync(Batch(Reading(null, "free")));
        var url = $"/api/v1/availability?lat={lat}&lng={lng}&radius=1000";
        await Poll.UntilAsync(() => anonymous.GetJsonAsync(url),
            r => r.GetArrayLength() == 2 && CountsOf(r[0]) == "free=1 occupied=1 reserved=0 unknown=1 outOfService=2 total=5" && r[1].GetProperty("counts").GetProperty("free").GetInt32() == 1,
            Eventually, "both lots counted");
        var model = factory.Services.GetRequiredService<AvailabilityModel>();
        var options = factory.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

        string Expected(string? type, bool byType, int limit) => JsonSerializer.Serialize(new[] { first, second }
            .Select(id => model.Lot(id)!).Where(l => type is null || l.ByType!.ContainsKey(type)).Take(limit)
            .Select(l => l with
            {
                DistanceMeters = Math.Round(SmartParking.Server.Platform.Geo.DistanceMeters(lat, lng, l.Latitude, l.Longitude), 1),
                Counts = type is null ? l.Counts : l.ByType![type],
                ByType = byType ? l.ByType : null,
            }).ToList(), options);

        foreach (var (query, type, byType, limit) in new[]
                 {
                     ("", null, false, 50), ("&byType=true", null, true, 50), ("&type=ev", "ev", false, 50),
                     ("&type=standard&byType=true", "standard", true, 50), ("&limit=1&byType=false", null, false, 1), ("&type=motorcycle", "motorcycle", false, 50),
                 })
        {
            var response = await anonymous.GetAsync(url + query);
            response.Content.Headers.ContentType!.ToString().ShouldBe("application/json; charset=utf-8");
            (await response.Content.ReadAsStringAsync()).ShouldBe(Expected(type, byType, limit), query);
        }
    }

    [Fact]
    public void NearbyDistance_AnyRoundedValue_FormattedAsTheSerializerFormatsIt()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 20_000).Select(_ => Math.Round(random.NextDouble() * AvailabilityEndpoints.MaxRadiusMeters, 1))
            .Concat([0, 0.1, 0.3, 1, 10, 99.9, 1000, 12345.6, AvailabilityEndpoints.MaxRadiusMeters]);
        Span<byte> buffer = stackalloc byte[32];
        foreach (var value in values)
        {
            var written = NearbyAnswer.FormatNumber(value, buffer);
            Encoding.UTF8.GetString(buffer[..written]).ShouldBe(JsonSerializer.Serialize(value), $"{value:R}");
        }
    }

    [Fact]
    public async Task LotAvailability_ListsEverySpaceWithStatusSinceAndExternalId()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        var seeded = await SeedLotAsync(op, lat, lng, "Listed Garage");
        var tagged = Payloads.Space("Z9", "compact", level: "-1");
        tagged["externalId"] = "urn:ngsi-ld:ParkingSpot:test:z9";
        var taggedId = (await op.CreateSpaceAsync(seeded.LotId, tagged)).Id();

        var lot = await Poll.UntilAsync(() => anonymous.GetJsonAsync($"/api/v1/lots/{seeded.LotId}/availability"),
            r => r.GetProperty("spaces").GetArrayLength() == 6 && r.GetProperty("lot").GetProperty("counts").GetProperty("free").GetInt32() == 1,
            Eventually, "six spaces with the readings applied");

        lot.GetProperty("lot").GetProperty("lotId").GetGuid().ShouldBe(seeded.LotId);
        lot.GetProperty("lot").GetProperty("distanceMeters").ValueKind.ShouldBe(JsonValueKind.Null);
        var spaces = lot.GetProperty("spaces").EnumerateArray().ToDictionary(s => s.GetProperty("spaceId").GetGuid());
        spaces[seeded.Free.SpaceId].Str("status").ShouldBe("free");
        spaces[seeded.Free.SpaceId].Str("label").ShouldBe("A1");
        spaces[seeded.Free.SpaceId].Str("type").ShouldBe("standard");
        spaces[seeded.Free.SpaceId].GetProperty("since").GetDateTimeOffset().ShouldBe(seeded.LastObserved.AddSeconds(-3));
        spaces[seeded.Occupied.SpaceId].Str("status").ShouldBe("occupied");
        spaces[seeded.Silent.SpaceId].Str("status").ShouldBe("unknown");
        spaces[seeded.Silent.SpaceId].GetProperty("since").ValueKind.ShouldBe(JsonValueKind.Null);
        spaces[seeded.Closed.SpaceId].Str("status").ShouldBe("out_of_service");
        spaces[seeded.Flagged.SpaceId].Str("status").ShouldBe("out_of_service");
        spaces[taggedId].Str("externalId").ShouldBe("urn:ngsi-ld:ParkingSpot:test:z9");
        spaces[taggedId].Str("level").ShouldBe("-1");
        spaces[taggedId].Str("status").ShouldBe("unknown");
        spaces[seeded.Free.SpaceId].GetProperty("externalId").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task LotAvailability_UnknownLot_Returns404Problem()
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.GetAsync($"/api/v1/lots/{Guid.NewGuid()}/availability")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await anonymous.GetAsync($"/api/v1/availability/stream?lotId={Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("lng=10&radius=500", "lat")]
    [InlineData("lat=56", "lng")]
    [InlineData("lat=91&lng=10", "lat")]
    [InlineData("lat=56&lng=181", "lng")]
    [InlineData("lat=56&lng=10&radius=50001", "radius")]
    [InlineData("lat=56&lng=10&radius=0", "radius")]
    [InlineData("lat=56&lng=10&type=spaceship", "type")]
    [InlineData("lat=56&lng=10&limit=0", "limit")]
    [InlineData("lat=56&lng=10&limit=201", "limit")]
    public async Task Nearby_InvalidQuery_Returns400NamingTheParameter(string query, string field)
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.GetAsync("/api/v1/availability?" + query)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("", "lat")]
    [InlineData("lat=56&lng=10&radius=50001", "radius")]
    public async Task Stream_InvalidArea_Returns400NamingTheParameter(string query, string field)
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.GetAsync("/api/v1/availability/stream?" + query)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task ParkApiFeed_ListsLotsWithIdNameCoordsTotalAndFree()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        // No opening hours: open around the clock, so the state follows the readings alone.
        var seeded = await SeedLotAsync(op, lat, lng, "Fed Garage", []);
        var streetBody = Payloads.Lot("Fed Street", lat + 0.01, lng, "on_street");
        streetBody["openingHours"] = new JsonArray();
        var streetLot = (await op.CreateLotAsync(streetBody)).Id();
        await op.CreateSensorAsync(streetLot, "K1");

        var feed = await Poll.UntilAsync(() => anonymous.GetJsonAsync("/api/v1/feeds/parkapi"),
            f => f.GetProperty("lots").EnumerateArray().Any(l => l.Str("id") == seeded.LotId.ToString() && l.GetProperty("free").GetInt32() == 1)
                 && f.GetProperty("lots").EnumerateArray().Any(l => l.Str("id") == streetLot.ToString() && l.GetProperty("total").GetInt32() == 1),
            Eventually, "both lots in the feed with the readings applied");

        var garage = feed.GetProperty("lots").EnumerateArray().Single(l => l.Str("id") == seeded.LotId.ToString());
        garage.Str("name").ShouldBe("Fed Garage");
        garage.GetProperty("coords").GetProperty("lat").GetDouble().ShouldBe(lat, 1e-9);
        garage.GetProperty("coords").GetProperty("lng").GetDouble().ShouldBe(lng, 1e-9);
        // Out-of-service spaces are not counted as parking a driver could use.
        garage.GetProperty("total").GetInt32().ShouldBe(3);
        garage.GetProperty("free").GetInt32().ShouldBe(1);
        garage.Str("lot_type").ShouldBe("garage");
        garage.Str("state").ShouldBe("open");
        var street = feed.GetProperty("lots").EnumerateArray().Single(l => l.Str("id") == streetLot.ToString());
        street.Str("lot_type").ShouldBe("street");
        street.GetProperty("total").GetInt32().ShouldBe(1);
        street.GetProperty("free").GetInt32().ShouldBe(0);
        street.Str("state").ShouldBe("nodata");
        feed.GetProperty("last_updated").GetDateTimeOffset().ShouldBeGreaterThanOrEqualTo(seeded.LastObserved);
    }

    private static readonly string[] Days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>The weekday name of today in Copenhagen (the payload's zone), shifted by whole days.</summary>
    private string CopenhagenDay(int shift)
    {
        var today = TimeZoneInfo.ConvertTime(factory.Time.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen")).DayOfWeek;
        return Days[((int)today + 6 + shift) % 7];
    }

    [Fact]
    public async Task ParkApiFeed_LotClosedNowByItsOpeningHours_IsClosedEvenWithReadings()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        // Open all day, but only three days from today: closed now, whatever the hour (neighbouring days' hours cannot reach in).
        var closed = await SeedLotAsync(op, lat, lng, "Shut Garage",
            [new JsonObject { ["day"] = CopenhagenDay(3), ["opens"] = "00:00", ["closes"] = "24:00" }]);
        // Open all day every day: open now.
        var open = await SeedLotAsync(op, lat + 0.01, lng, "Always Garage",
            new JsonArray([.. Days.Select(d => (JsonNode)new JsonObject { ["day"] = d, ["opens"] = "00:00", ["closes"] = "24:00" })]));

        var feed = await Poll.UntilAsync(() => anonymous.GetJsonAsync("/api/v1/feeds/parkapi"),
            f => f.GetProperty("lots").EnumerateArray().Count(l => (l.Str("id") == closed.LotId.ToString() || l.Str("id") == open.LotId.ToString()) && l.GetProperty("free").GetInt32() == 1) == 2,
            Eventually, "both lots in the feed with the readings applied");

        feed.GetProperty("lots").EnumerateArray().Single(l => l.Str("id") == closed.LotId.ToString()).Str("state").ShouldBe("closed");
        feed.GetProperty("lots").EnumerateArray().Single(l => l.Str("id") == open.LotId.ToString()).Str("state").ShouldBe("open");
    }

    private static IEnumerable<Guid> FeedIds(JsonElement feed) => feed.GetProperty("lots").EnumerateArray().Select(l => l.GetProperty("id").GetGuid());

    [Fact]
    public async Task ParkApiFeed_ByTenant_ListsOnlyThatTenantsLots()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (otherTenant, other, _) = await factory.NewTenantWithOperatorAsync();
        using var _o = other;
        var (lat, lng) = SomewhereNew();
        var home = (await op.CreateLotAtAsync(lat, lng, "Home Feed Lot")).Id();
        var theirs = (await other.CreateLotAtAsync(lat, lng, "Their Feed Lot")).Id();

        var feed = await Poll.UntilAsync(() => anonymous.GetJsonAsync($"/api/v1/feeds/parkapi?tenantId={otherTenant}"),
            f => FeedIds(f).Contains(theirs), Eventually, "the other tenant's lot in its feed");

        FeedIds(feed).ShouldNotContain(home);
        FeedIds(await anonymous.GetJsonAsync($"/api/v1/feeds/parkapi?tenantId={factory.TenantId}")).ShouldContain(home);
        FeedIds(await anonymous.GetJsonAsync($"/api/v1/feeds/parkapi?tenantId={Guid.NewGuid()}")).ShouldBeEmpty();
    }

    [Fact]
    public async Task ParkApiFeed_ByArea_ListsOnlyLotsWithinTheRadius()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        var near = (await op.CreateLotAtAsync(lat, lng, "Near Feed Lot")).Id();
        // About 1.1 km north: outside a 500 m radius, inside a 2 km one.
        var far = (await op.CreateLotAtAsync(lat + 0.01, lng, "Far Feed Lot")).Id();

        // Each lot reaches the availability model on its own catalogue notice: wait until both are known, so the small
        // radius leaving the far one out says something.
        await Poll.UntilAsync(() => anonymous.GetJsonAsync($"/api/v1/feeds/parkapi?lat={lat}&lng={lng}&radius=2000"),
            f => FeedIds(f).Contains(near) && FeedIds(f).Contains(far), Eventually, "both lots in the wider area's feed");

        var small = FeedIds(await anonymous.GetJsonAsync($"/api/v1/feeds/parkapi?lat={lat}&lng={lng}&radius=500")).ToList();

        small.ShouldContain(near);
        small.ShouldNotContain(far);
    }

    [Theory]
    [InlineData("tenantId=abc", "tenantId")]
    [InlineData("lat=91&lng=10", "lat")]
    [InlineData("lat=56&lng=181", "lng")]
    [InlineData("lat=56&lng=10&radius=50001", "radius")]
    [InlineData("lat=56&lng=10&radius=0", "radius")]
    [InlineData("radius=500", "lat")]
    [InlineData("lat=56", "lng")]
    public async Task ParkApiFeed_InvalidFilter_Returns400NamingTheParameter(string query, string field)
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.GetAsync("/api/v1/feeds/parkapi?" + query)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }
}
