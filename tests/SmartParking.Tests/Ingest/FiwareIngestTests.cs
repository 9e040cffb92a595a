using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Ingest;

/// <summary>
/// FIWARE agents: the official Smart Data Models examples imported with the operator API, then status updates through
/// NGSI-LD <c>entityOperations/upsert</c> and NGSI-v2 <c>op/update</c>, and the NGSI-LD entities we publish back.
/// </summary>
public sealed class FiwareIngestTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private const string LdUpsert = "/ngsi-ld/v1/entityOperations/upsert";
    private const string V2Update = "/v2/op/update";
    private const string LdSpotId = "urn:ngsi-ld:ParkingSpot:santander:daoiz_velarde_1_5:3";
    private const string V2SpotId = "santander:daoiz_velarde_1_5:3";
    private const string LdSiteId = "urn:ngsi-ld:OffStreetParking:porto-ParkingLot-23889";
    private static readonly string[] SpotStatuses = ["free", "occupied", "closed", "unknown"];

    private static JsonNode Example(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.FiwareExamples, name)))!;

    private static StringContent Body(JsonNode node, string mediaType = "application/json") => new(node.ToJsonString(), Encoding.UTF8, mediaType);

    private sealed record Imported(Guid TenantId, HttpClient Operator, HttpClient Gateway, string GatewayKey) : IDisposable
    {
        public void Dispose()
        {
            Operator.Dispose();
            Gateway.Dispose();
        }
    }

    /// <summary>A tenant of its own with all eight examples imported and a gateway key.</summary>
    private async Task<Imported> ImportExamplesAsync()
    {
        var (tenant, op, _) = await factory.NewTenantWithOperatorAsync();
        foreach (var file in Directory.GetFiles(RepoPaths.FiwareExamples, "*.json").Order(StringComparer.Ordinal))
            await (await op.PostAsync("/api/v1/manage/import/fiware", new StringContent(File.ReadAllText(file), Encoding.UTF8, "application/json")))
                .ShouldHaveStatusAsync(HttpStatusCode.OK);
        var (_, key) = await op.CreateGatewayAsync("FIWARE IoT agent");
        return new Imported(tenant, op, factory.GatewayClient(key), key);
    }

    /// <summary>The lot and space that the import made for a FIWARE ParkingSpot id.</summary>
    private static async Task<(Guid LotId, Guid SpaceId)> SpotAsync(HttpClient op, string externalId)
    {
        foreach (var lot in (await op.GetJsonAsync("/api/v1/manage/lots?pageSize=500")).Items())
            foreach (var space in (await op.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces")).Items())
                if (space.Str("externalId") == externalId) return (lot.Id(), space.Id());
        throw new InvalidOperationException($"No space imported for {externalId}.");
    }

    private static async Task<Guid> LotAsync(HttpClient op, string externalId) =>
        (await op.GetJsonAsync("/api/v1/manage/lots?pageSize=500")).Items().Single(l => l.Str("externalId") == externalId).Id();

    [Fact]
    public async Task NgsiLdUpsert_NormalizedExample_ChangesAvailabilityAndStoresTheObservation()
    {
        using var t = await ImportExamplesAsync();
        var (lotId, spaceId) = await SpotAsync(t.Operator, LdSpotId);
        var entity = Example("ParkingSpot__example-normalized_ngsi-ld.json");
        var observedAt = SecondsAgo(5);
        entity["status"]!["value"] = "occupied";
        entity["status"]!["observedAt"] = Iso(observedAt);

        var response = await t.Gateway.PostAsync(LdUpsert, Body(new JsonArray(entity), "application/ld+json"));

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        (await factory.StoredReadingsAsync(spaceId)).ShouldBe([Stored(1, observedAt)]);
        (await factory.ScalarAsync<short>("select source from sensor_readings where space_id = $1", spaceId)).ShouldBe((short)2);
        using var anonymous = factory.Anonymous();
        var space = await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, "occupied");
        space.GetProperty("since").GetDateTimeOffset().ShouldBe(observedAt);
        space.Str("externalId").ShouldBe(LdSpotId);
        // And the published entity says so too.
        await Poll.UntilAsync(async () => (await PublishedAsync(anonymous, "ParkingSpot")).Where(e => e.Str("id") == LdSpotId).Select(e => e.GetProperty("status")).ToList(),
            statuses => statuses.Any(s => s.Str("value") == "occupied" && s.Str("observedAt") == observedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            Eventually, "the NGSI-LD ParkingSpot to show the new status");
    }

    [Fact]
    public async Task NgsiLdUpsert_KeyValuesExample_ChangesAvailability()
    {
        using var t = await ImportExamplesAsync();
        var (lotId, spaceId) = await SpotAsync(t.Operator, LdSpotId);
        var occupied = Example("ParkingSpot__example_ngsi-ld.json");
        occupied["status"] = "occupied";
        using var anonymous = factory.Anonymous();

        (await t.Gateway.PostAsync(LdUpsert, Body(new JsonArray(occupied)))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, "occupied");
        // The example exactly as published: status "free", no observation time (the server's clock is used).
        (await t.Gateway.PostAsync(LdUpsert, Body(new JsonArray(Example("ParkingSpot__example_ngsi-ld.json"))))).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, "free");
        (await factory.StoredReadingsAsync(spaceId)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task NgsiV2OpUpdate_NormalizedWithMetadataTimestamp_ChangesAvailabilityAtThatTime()
    {
        using var t = await ImportExamplesAsync();
        var (lotId, spaceId) = await SpotAsync(t.Operator, V2SpotId);
        var entity = Example("ParkingSpot__example-normalized_ngsi-v2.json");
        var observedAt = SecondsAgo(7);
        entity["status"]!["value"] = "occupied";
        // As in the example: no zone, which FIWARE means as UTC.
        entity["status"]!["metadata"]!["timestamp"]!["value"] = observedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        using var anonymous = factory.Anonymous();

        var response = await t.Gateway.PostAsync(V2Update, Body(new JsonObject { ["actionType"] = "update", ["entities"] = new JsonArray(entity) }));

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        (await factory.StoredReadingsAsync(spaceId)).ShouldBe([Stored(1, observedAt)]);
        (await factory.ScalarAsync<short>("select source from sensor_readings where space_id = $1", spaceId)).ShouldBe((short)3);
        (await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, "occupied")).GetProperty("since").GetDateTimeOffset().ShouldBe(observedAt);

        // The key-values example as published (status "free") with appendStrict.
        var keyValues = new JsonObject { ["actionType"] = "appendStrict", ["entities"] = new JsonArray(Example("ParkingSpot__example_ngsi-v2.json")) };
        (await t.Gateway.PostAsync(V2Update, Body(keyValues))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, "free");
    }

    [Fact]
    public async Task NgsiLdUpsert_UnknownEntityAmongGoodOnes_Returns207WithItsErrorAndStoresTheRest()
    {
        using var t = await ImportExamplesAsync();
        var (lotId, spaceId) = await SpotAsync(t.Operator, LdSpotId);
        var good = Example("ParkingSpot__example_ngsi-ld.json");
        good["status"] = "occupied";
        var unknown = Example("ParkingSpot__example_ngsi-ld.json");
        unknown["id"] = "urn:ngsi-ld:ParkingSpot:nowhere:1";
        var site = Example("OffStreetParking__example-normalized_ngsi-ld.json");
        var badStatus = Example("ParkingSpot__example_ngsi-ld.json");
        badStatus["status"] = "sideways";

        var response = await t.Gateway.PostAsync(LdUpsert, Body(new JsonArray(good, unknown, site, badStatus)));

        var result = await response.ShouldHaveStatusAsync(HttpStatusCode.MultiStatus);
        result.GetProperty("success").EnumerateArray().Select(s => s.GetString()).ShouldBe([LdSpotId]);
        var errors = result.GetProperty("errors").EnumerateArray().ToList();
        errors.Count.ShouldBe(3);
        var notFound = errors.Single(e => e.Str("entityId") == "urn:ngsi-ld:ParkingSpot:nowhere:1").GetProperty("error");
        notFound.Str("type").ShouldBe("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound");
        notFound.Str("title").ShouldNotBeNullOrWhiteSpace();
        notFound.GetProperty("status").GetInt32().ShouldBe(404);
        notFound.Str("detail").ShouldContain("urn:ngsi-ld:ParkingSpot:nowhere:1");
        var notASpot = errors.Single(e => e.Str("entityId") == LdSiteId).GetProperty("error");
        notASpot.Str("type").ShouldBe("https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
        notASpot.GetProperty("status").GetInt32().ShouldBe(400);
        // Two errors for the same id (the good one and the bad status) are told apart by their detail.
        errors.Where(e => e.Str("entityId") == LdSpotId).ShouldHaveSingleItem().GetProperty("error").Str("detail").ShouldContain("status");
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, "occupied");
        (await factory.StoredReadingsAsync(spaceId)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task NgsiV2OpUpdate_UnknownEntity_Returns422AndStoresTheRest()
    {
        using var t = await ImportExamplesAsync();
        var (lotId, spaceId) = await SpotAsync(t.Operator, V2SpotId);
        var good = Example("ParkingSpot__example_ngsi-v2.json");
        good["status"] = "occupied";
        var unknown = Example("ParkingSpot__example_ngsi-v2.json");
        unknown["id"] = "nowhere:1";

        var response = await t.Gateway.PostAsync(V2Update, Body(new JsonObject { ["actionType"] = "update", ["entities"] = new JsonArray(good, unknown) }));

        var error = await response.ShouldHaveStatusAsync(HttpStatusCode.UnprocessableEntity);
        error.Str("error").ShouldBe("PartialUpdate");
        error.Str("description").ShouldContain("nowhere:1");
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(lotId, spaceId, "occupied");
    }

    [Theory]
    [InlineData("""{"actionType": "delete", "entities": []}""", "actionType")]
    [InlineData("""{"actionType": "update"}""", "entities")]
    [InlineData("""[{"id": "x"}]""", "entities")]
    [InlineData("""{"actionType": """, "body")]
    public async Task NgsiV2OpUpdate_InvalidRequest_Returns400NamingTheField(string body, string field)
    {
        using var op = factory.OperatorClient();
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);
        await (await gateway.PostAsync(V2Update, new StringContent(body, Encoding.UTF8, "application/json"))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task FiwareIngest_WithoutAGatewayKeyOfTheTenant_Returns401OrFindsNothing()
    {
        using var t = await ImportExamplesAsync();
        var (_, spaceId) = await SpotAsync(t.Operator, LdSpotId);
        var entity = Example("ParkingSpot__example_ngsi-ld.json");
        entity["status"] = "occupied";
        var v2 = new JsonObject { ["actionType"] = "update", ["entities"] = new JsonArray(Example("ParkingSpot__example_ngsi-v2.json")) };
        using var anonymous = factory.Anonymous();
        using var wrongKey = factory.GatewayClient("gw_wrong");
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var device = await t.Operator.CreateSensorAsync((await t.Operator.CreateLotAtAsync(lat, lng)).Id());
        using var deviceClient = factory.DeviceClient(device);

        foreach (var client in new[] { anonymous, wrongKey, t.Operator, deviceClient })
        {
            await (await client.PostAsync(LdUpsert, Body(new JsonArray(entity.DeepClone())))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            await (await client.PostAsync(V2Update, Body(v2.DeepClone()))).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        }
        // Another tenant's gateway: the FIWARE id resolves only within the key's tenant.
        var (_, otherKey) = await op.CreateGatewayAsync();
        using var otherGateway = factory.GatewayClient(otherKey);
        var result = await (await otherGateway.PostAsync(LdUpsert, Body(new JsonArray(entity.DeepClone())))).ShouldHaveStatusAsync(HttpStatusCode.MultiStatus);
        result.GetProperty("success").GetArrayLength().ShouldBe(0);
        result.GetProperty("errors")[0].GetProperty("error").GetProperty("status").GetInt32().ShouldBe(404);
        (await factory.StoredReadingsAsync(spaceId)).ShouldBeEmpty();
    }

    // ---- NGSI-LD output ---------------------------------------------------------------------------------

    private static async Task<List<JsonElement>> PublishedAsync(HttpClient client, string type)
    {
        var response = await client.GetAsync($"/ngsi-ld/v1/entities?type={type}&limit=1000");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/ld+json");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>
    /// The attributes we publish have the names, NGSI-LD attribute types and value shapes of the normalized example, and
    /// every attribute is a well-formed Property, GeoProperty or Relationship.
    /// </summary>
    private static void ShouldMatchExample(JsonElement ours, JsonElement example, IEnumerable<string> attributes)
    {
        var context = $"{ours}";
        ours.Str("type").ShouldBe(example.Str("type"), context);
        ours.Str("id").ShouldStartWith("urn:ngsi-ld:", Case.Sensitive, context);
        ours.GetProperty("@context").EnumerateArray().Select(c => c.GetString()).ShouldBe(example.GetProperty("@context").EnumerateArray().Select(c => c.GetString()), context);
        foreach (var name in attributes)
        {
            example.TryGetProperty(name, out var expected).ShouldBeTrue($"the example has no '{name}'");
            ours.TryGetProperty(name, out var actual).ShouldBeTrue($"'{name}' is missing from {context}");
            actual.Str("type").ShouldBe(expected.Str("type"), $"attribute type of '{name}' in {context}");
            switch (expected.Str("type"))
            {
                case "Property":
                    actual.GetProperty("value").ValueKind.ShouldBe(expected.GetProperty("value").ValueKind, $"value of '{name}' in {context}");
                    break;
                case "GeoProperty":
                    actual.GetProperty("value").Str("type").ShouldBe(expected.GetProperty("value").Str("type"), context);
                    actual.GetProperty("value").GetProperty("coordinates").EnumerateArray().Select(c => c.ValueKind).ShouldBe([JsonValueKind.Number, JsonValueKind.Number], context);
                    break;
                case "Relationship":
                    actual.Str("object").ShouldStartWith("urn:", Case.Sensitive, context);
                    actual.TryGetProperty("value", out _).ShouldBeFalse(context);
                    break;
            }
        }
        foreach (var attribute in ours.EnumerateObject().Where(p => p.Name is not ("id" or "type" or "@context")))
        {
            attribute.Value.Str("type").ShouldBeOneOf(["Property", "GeoProperty", "Relationship"], $"'{attribute.Name}' in {context}");
            if (attribute.Value.TryGetProperty("observedAt", out var at))
                DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _).ShouldBeTrue($"observedAt of '{attribute.Name}'");
        }
    }

    [Fact]
    public async Task NgsiLdEntities_ParkingSpot_MatchesTheNormalizedExampleAndKeepsFiwareIds()
    {
        using var t = await ImportExamplesAsync();
        var (_, v2SpaceId) = await SpotAsync(t.Operator, V2SpotId);
        var v2LotId = await LotAsync(t.Operator, "santander:daoiz_velarde_1_5");
        var entity = Example("ParkingSpot__example_ngsi-ld.json");
        entity["status"] = "occupied";
        (await t.Gateway.PostAsync(LdUpsert, Body(new JsonArray(entity.DeepClone())))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var example = Example("ParkingSpot__example-normalized_ngsi-ld.json").Deserialize<JsonElement>();
        using var anonymous = factory.Anonymous();

        var spots = await Poll.UntilAsync(() => PublishedAsync(anonymous, "ParkingSpot"),
            all => all.Any(e => e.Str("id") == LdSpotId && e.GetProperty("status").Str("value") == "occupied") && all.Any(e => e.Str("id") == $"urn:ngsi-ld:ParkingSpot:{v2SpaceId}"),
            Eventually, "both imported spots published, with the new status");

        var ld = spots.First(e => e.Str("id") == LdSpotId && e.GetProperty("status").Str("value") == "occupied");
        ShouldMatchExample(ld, example, ["name", "location", "status", "refParkingSite", "category"]);
        ld.GetProperty("name").Str("value").ShouldBe("A-13");
        ld.GetProperty("refParkingSite").Str("object").ShouldBe(example.GetProperty("refParkingSite").Str("object"));
        ld.GetProperty("location").GetProperty("value").GetProperty("coordinates").EnumerateArray().Select(c => c.GetDouble()).ShouldBe([-3.80356167695194, 43.46296641666926]);
        ld.GetProperty("status").TryGetProperty("observedAt", out _).ShouldBeTrue();
        // An id that is not a URN (the NGSI-v2 example's) gets one made from ours; its site likewise.
        var v2 = spots.Single(e => e.Str("id") == $"urn:ngsi-ld:ParkingSpot:{v2SpaceId}");
        ShouldMatchExample(v2, example, ["name", "location", "status", "refParkingSite"]);
        v2.GetProperty("refParkingSite").Str("object").ShouldBe($"urn:ngsi-ld:OnStreetParking:{v2LotId}");
        spots.ShouldAllBe(e => SpotStatuses.Contains(e.GetProperty("status").GetProperty("value").GetString()));
    }

    [Fact]
    public async Task NgsiLdEntities_OffStreetParking_MatchesTheNormalizedExampleAndKeepsFiwareIds()
    {
        using var t = await ImportExamplesAsync();
        var v2LotId = await LotAsync(t.Operator, "porto-ParkingLot-23889");
        var example = Example("OffStreetParking__example-normalized_ngsi-ld.json").Deserialize<JsonElement>();
        using var anonymous = factory.Anonymous();

        var sites = await Poll.UntilAsync(() => PublishedAsync(anonymous, "OffStreetParking"),
            all => all.Any(e => e.Str("id") == $"urn:ngsi-ld:OffStreetParking:{v2LotId}") && all.Any(e => e.Str("id") == LdSiteId), Eventually, "the imported sites published");

        string[] attributes = ["name", "location", "totalSpotNumber", "availableSpotNumber", "occupiedSpotNumber"];
        var ld = sites.First(e => e.Str("id") == LdSiteId);
        ShouldMatchExample(ld, example, attributes);
        ld.GetProperty("name").Str("value").ShouldBe("Parque de estacionamento Trindade");
        ld.GetProperty("location").GetProperty("value").GetProperty("coordinates").EnumerateArray().Select(c => c.GetDouble()).ShouldBe([-8.60961198807, 41.150691773]);
        ShouldMatchExample(sites.Single(e => e.Str("id") == $"urn:ngsi-ld:OffStreetParking:{v2LotId}"), example, attributes);
        // Counts are of the spaces we know (none were imported for this site), not the example's figures.
        ld.GetProperty("totalSpotNumber").GetProperty("value").GetInt32().ShouldBe(0);
        // The on-street sites the spots brought are not OffStreetParking.
        sites.ShouldNotContain(e => e.Str("id") == "urn:ngsi-ld:ParkingSite:santander:daoiz_velarde_1_5");
        await Poll.UntilAsync(() => PublishedAsync(anonymous, "OnStreetParking"), all => all.Any(e => e.Str("id") == "urn:ngsi-ld:ParkingSite:santander:daoiz_velarde_1_5"),
            Eventually, "the spot's site published as OnStreetParking");
    }

    [Theory]
    [InlineData("", "type")]
    [InlineData("type=Car", "type")]
    [InlineData("type=ParkingSpot&limit=0", "limit")]
    [InlineData("type=ParkingSpot&offset=-1", "offset")]
    public async Task NgsiLdEntities_InvalidQuery_Returns400NamingTheParameter(string query, string field)
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.GetAsync("/ngsi-ld/v1/entities?" + query)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }
}
