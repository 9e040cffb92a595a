using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>The official FIWARE Smart Data Models examples, in all four shapes, through POST /api/v1/manage/import/fiware.</summary>
public sealed class FiwareImportTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private static readonly string[] SiteIds =
    [
        "porto-ParkingLot-23889",
        "urn:ngsi-ld:OffStreetParking:porto-ParkingLot-23889",
        // A ParkingSpot's site that is not in the payload becomes a lot of its own.
        "santander:daoiz_velarde_1_5",
        "urn:ngsi-ld:ParkingSite:santander:daoiz_velarde_1_5",
    ];

    private static readonly string[] SpotIds = ["santander:daoiz_velarde_1_5:3", "urn:ngsi-ld:ParkingSpot:santander:daoiz_velarde_1_5:3"];

    private static IReadOnlyList<string> ExampleFiles()
    {
        var files = Directory.GetFiles(RepoPaths.FiwareExamples, "*.json").Order(StringComparer.Ordinal).ToList();
        files.Count.ShouldBe(8, $"FIWARE examples in {RepoPaths.FiwareExamples}");
        return files;
    }

    private static StringContent JsonFile(string path) => new(File.ReadAllText(path), Encoding.UTF8, "application/json");

    [Fact]
    public async Task Import_EachOfTheEightExamples_CreatesLotsAndSpacesKeepingExternalIds()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;

        var results = new List<JsonElement>();
        foreach (var file in ExampleFiles())
            results.Add(await (await client.PostAsync("/api/v1/manage/import/fiware", JsonFile(file))).ShouldHaveStatusAsync(HttpStatusCode.OK));

        results.Sum(r => r.GetProperty("lotsCreated").GetInt32()).ShouldBe(4);
        results.Sum(r => r.GetProperty("spacesCreated").GetInt32()).ShouldBe(2);
        var lots = (await client.GetJsonAsync("/api/v1/manage/lots?pageSize=500")).Items();
        lots.Select(l => l.Str("externalId")).ShouldBe(SiteIds, ignoreOrder: true);

        var porto = lots.Single(l => l.Str("externalId") == "urn:ngsi-ld:OffStreetParking:porto-ParkingLot-23889");
        porto.Str("name").ShouldBe("Parque de estacionamento Trindade");
        porto.Str("kind").ShouldBe("off_street");
        porto.GetProperty("latitude").GetDouble().ShouldBe(41.150691773, 1e-9);
        porto.GetProperty("longitude").GetDouble().ShouldBe(-8.60961198807, 1e-9);
        porto.GetProperty("address").Str("city").ShouldBe("Porto");
        porto.GetProperty("capacity").GetProperty("standard").GetInt32().ShouldBe(394);
        porto.GetProperty("capacity").GetProperty("motorcycle").GetInt32().ShouldBe(20);
        porto.GetProperty("totalCapacity").GetInt32().ShouldBe(414);
        porto.GetProperty("amenities").EnumerateArray().Select(a => a.GetString()).ShouldContain("covered");
        // The tenant's defaults fill in what FIWARE does not carry.
        porto.Str("timeZone").ShouldBe("Europe/Copenhagen");
        porto.Str("currency").ShouldBe("DKK");

        var site = lots.Single(l => l.Str("externalId") == "santander:daoiz_velarde_1_5");
        site.Str("kind").ShouldBe("on_street");
        var spaces = (await client.GetJsonAsync($"/api/v1/manage/lots/{site.Id()}/spaces")).Items();
        var spot = spaces.ShouldHaveSingleItem();
        spot.Str("label").ShouldBe("A-13");
        spot.Str("externalId").ShouldBe("santander:daoiz_velarde_1_5:3");
        spot.GetProperty("latitude").GetDouble().ShouldBe(43.46296641666926, 1e-9);
        spot.GetProperty("outOfService").GetBoolean().ShouldBeFalse();

        var allSpotIds = new List<string>();
        foreach (var lot in lots)
            allSpotIds.AddRange((await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces")).Items().Select(s => s.Str("externalId")));
        allSpotIds.ShouldBe(SpotIds, ignoreOrder: true);
    }

    [Fact]
    public async Task Import_SameExamplesAgain_UpdatesWithoutDuplicates()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        foreach (var file in ExampleFiles())
            await (await client.PostAsync("/api/v1/manage/import/fiware", JsonFile(file))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var again = new List<JsonElement>();
        foreach (var file in ExampleFiles())
            again.Add(await (await client.PostAsync("/api/v1/manage/import/fiware", JsonFile(file))).ShouldHaveStatusAsync(HttpStatusCode.OK));

        again.Sum(r => r.GetProperty("lotsCreated").GetInt32()).ShouldBe(0);
        again.Sum(r => r.GetProperty("spacesCreated").GetInt32()).ShouldBe(0);
        again.Sum(r => r.GetProperty("lotsUpdated").GetInt32()).ShouldBe(4);
        again.Sum(r => r.GetProperty("spacesUpdated").GetInt32()).ShouldBe(4);
        (await factory.ScalarAsync<long>("select count(*) from lots where tenant_id = $1", tenant)).ShouldBe(4);
        (await factory.ScalarAsync<long>("select count(*) from spaces where tenant_id = $1", tenant)).ShouldBe(2);
    }

    [Fact]
    public async Task Import_AllExamplesAsOneArray_SameResultAsOneByOne()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        var array = "[" + string.Join(",", ExampleFiles().Select(File.ReadAllText)) + "]";

        var result = await (await client.PostAsync("/api/v1/manage/import/fiware?baseHourlyRate=2.5", new StringContent(array, Encoding.UTF8, "application/json")))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        (result.GetProperty("lotsCreated").GetInt32() + result.GetProperty("lotsUpdated").GetInt32()).ShouldBe(6);
        result.GetProperty("lotsCreated").GetInt32().ShouldBe(4);
        result.GetProperty("spacesCreated").GetInt32().ShouldBe(2);
        (await factory.ColumnAsync("select external_id from lots where tenant_id = $1", tenant)).ShouldBe(SiteIds, ignoreOrder: true);
        (await factory.ColumnAsync("select distinct base_hourly_rate from lots where tenant_id = $1", tenant)).ShouldBe(["2.50"]);
    }

    [Fact]
    public async Task Import_SpotRenamedAtTheSource_UpdatesTheSameSpace()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        const string before = """{"id":"urn:ngsi-ld:ParkingSpot:x:1","type":"ParkingSpot","name":"B-01","refParkingSite":"urn:ngsi-ld:ParkingSite:x","location":{"type":"Point","coordinates":[10.2,56.15]}}""";
        await (await client.PostAsync("/api/v1/manage/import/fiware", new StringContent(before, Encoding.UTF8, "application/json"))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var renamed = before.Replace("B-01", "B-01a", StringComparison.Ordinal).Replace("ParkingSpot\",", "ParkingSpot\",\"status\":\"closed\",", StringComparison.Ordinal);
        var result = await (await client.PostAsync("/api/v1/manage/import/fiware", new StringContent(renamed, Encoding.UTF8, "application/json"))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        result.GetProperty("spacesUpdated").GetInt32().ShouldBe(1);
        result.GetProperty("spacesCreated").GetInt32().ShouldBe(0);
        (await factory.ColumnAsync("select label || ' ' || out_of_service from spaces where tenant_id = $1", tenant)).ShouldBe(["B-01a true"]);
    }

    private static StringContent Entity(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ImportAsync(HttpClient client, string json, string query = "") =>
        await (await client.PostAsync("/api/v1/manage/import/fiware" + query, Entity(json))).ShouldHaveStatusAsync(HttpStatusCode.OK);

    private static async Task<JsonElement> LotByExternalIdAsync(HttpClient client, string externalId) =>
        (await client.GetJsonAsync("/api/v1/manage/lots?pageSize=500")).Items().Single(l => l.Str("externalId") == externalId);

    [Fact]
    public async Task Import_SiteWithPriceCurrencyAndRate_TakesThemFromTheData()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        const string site = """{"id":"urn:ngsi-ld:OffStreetParking:priced","type":"OffStreetParking","name":"Priced","priceCurrency":"EUR","priceRatePerMinute":0.05,"location":{"type":"Point","coordinates":[-3.7,40.4]}}""";

        await ImportAsync(client, site, "?timeZone=Europe/Madrid&currency=GBP&baseHourlyRate=9");

        var lot = await LotByExternalIdAsync(client, "urn:ngsi-ld:OffStreetParking:priced");
        lot.Str("currency").ShouldBe("EUR");
        lot.GetProperty("baseHourlyRate").GetDecimal().ShouldBe(3.00m);
        // Smart Data Models carry no time zone: the request's applies.
        lot.Str("timeZone").ShouldBe("Europe/Madrid");
    }

    [Fact]
    public async Task Import_RequestTimeZoneAndCurrency_ApplyWhereTheDataIsSilentElseTheTenantDefaults()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        const string site = """{"id":"site-a","type":"OnStreetParking","name":"A","location":{"type":"Point","coordinates":[-79.4,43.65]}}""";

        await ImportAsync(client, site, "?timeZone=America/Toronto&currency=CAD");
        await ImportAsync(client, site.Replace("site-a", "site-b", StringComparison.Ordinal));

        var a = await LotByExternalIdAsync(client, "site-a");
        a.Str("timeZone").ShouldBe("America/Toronto");
        a.Str("currency").ShouldBe("CAD");
        var b = await LotByExternalIdAsync(client, "site-b");
        b.Str("timeZone").ShouldBe("Europe/Copenhagen");
        b.Str("currency").ShouldBe("DKK");
    }

    [Theory]
    [InlineData("?timeZone=Mars/Olympus", "timeZone")]
    [InlineData("?currency=XYZ", "currency")]
    [InlineData("?currency=eur", "currency")]
    public async Task Import_InvalidTimeZoneOrCurrencyInTheRequest_Returns400NamingIt(string query, string field)
    {
        using var client = factory.OperatorClient();
        const string site = """{"id":"bad-params","type":"OffStreetParking","location":{"type":"Point","coordinates":[10,56]}}""";
        await (await client.PostAsync("/api/v1/manage/import/fiware" + query, Entity(site))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Import_InvalidPriceCurrencyInTheData_Returns400NamingTheAttribute()
    {
        using var client = factory.OperatorClient();
        const string site = """{"id":"bad-currency","type":"OffStreetParking","priceCurrency":"Euro","location":{"type":"Point","coordinates":[10,56]}}""";
        await (await client.PostAsync("/api/v1/manage/import/fiware", Entity(site))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "[0].priceCurrency");
    }

    [Fact]
    public async Task Import_AgainAfterTheOperatorEdits_KeepsWhatTheDataDoesNotCarryAndUpdatesWhatItDoes()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        const string first = """
            {"id":"urn:ngsi-ld:OffStreetParking:kept","type":"OffStreetParking","name":"Old name","category":["underground"],"totalSpotNumber":50,
             "address":{"streetAddress":"Rua 1","addressLocality":"Porto"},"location":{"type":"Point","coordinates":[-8.6,41.15]}}
            """;
        await ImportAsync(client, first);
        var lot = await LotByExternalIdAsync(client, "urn:ngsi-ld:OffStreetParking:kept");
        var edit = Payloads.Lot("Operator name");
        edit["kind"] = "off_street";
        edit["timeZone"] = "Europe/Lisbon";
        edit["currency"] = "EUR";
        edit["baseHourlyRate"] = 1.8m;
        edit["address"] = new System.Text.Json.Nodes.JsonObject { ["street"] = "Rua 1", ["city"] = "Porto", ["postalCode"] = "4000-001", ["country"] = "PT" };
        edit["amenities"] = new System.Text.Json.Nodes.JsonArray("covered", "cctv");
        edit["capacity"] = new System.Text.Json.Nodes.JsonObject { ["standard"] = 45, ["ev"] = 5 };
        edit["externalId"] = "urn:ngsi-ld:OffStreetParking:kept";
        await (await client.PutAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}", edit)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        // The source renames and moves the site but says nothing of address, capacity, categories, prices or hours.
        const string again = """{"id":"urn:ngsi-ld:OffStreetParking:kept","type":"OffStreetParking","name":"New name","location":{"type":"Point","coordinates":[-8.61,41.16]}}""";
        (await ImportAsync(client, again)).GetProperty("lotsUpdated").GetInt32().ShouldBe(1);

        var after = await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}");
        after.Str("name").ShouldBe("New name");
        after.GetProperty("latitude").GetDouble().ShouldBe(41.16, 1e-9);
        after.GetProperty("longitude").GetDouble().ShouldBe(-8.61, 1e-9);
        after.Str("timeZone").ShouldBe("Europe/Lisbon");
        after.Str("currency").ShouldBe("EUR");
        after.GetProperty("baseHourlyRate").GetDecimal().ShouldBe(1.8m);
        after.GetProperty("address").Str("postalCode").ShouldBe("4000-001");
        after.GetProperty("address").Str("country").ShouldBe("PT");
        after.GetProperty("openingHours").GetArrayLength().ShouldBe(1);
        after.GetProperty("amenities").EnumerateArray().Select(a => a.GetString()).ShouldBe(["covered", "cctv"], ignoreOrder: true);
        after.GetProperty("capacity").GetProperty("ev").GetInt32().ShouldBe(5);
        after.GetProperty("totalCapacity").GetInt32().ShouldBe(50);

        // What the data does carry wins: a new price currency, a smaller site, a street renamed, no longer underground.
        const string priced = """
            {"id":"urn:ngsi-ld:OffStreetParking:kept","type":"OffStreetParking","priceCurrency":"USD","totalSpotNumber":30,"category":["public"],
             "address":{"streetAddress":"Rua 2"},"location":{"type":"Point","coordinates":[-8.61,41.16]}}
            """;
        await ImportAsync(client, priced);
        var last = await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}");
        last.Str("name").ShouldBe("New name");
        last.Str("currency").ShouldBe("USD");
        last.Str("timeZone").ShouldBe("Europe/Lisbon");
        last.GetProperty("baseHourlyRate").GetDecimal().ShouldBe(1.8m);
        last.GetProperty("totalCapacity").GetInt32().ShouldBe(30);
        last.GetProperty("address").Str("street").ShouldBe("Rua 2");
        last.GetProperty("address").Str("city").ShouldBe("Porto");
        last.GetProperty("address").Str("postalCode").ShouldBe("4000-001");
        last.GetProperty("amenities").EnumerateArray().Select(a => a.GetString()).ShouldBe(["cctv"]);
    }

    [Fact]
    public async Task Import_SpotAgainWithoutNameCategoryOrStatus_KeepsLabelTypeAndOutOfService()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        const string spot = """{"id":"urn:ngsi-ld:ParkingSpot:k:1","type":"ParkingSpot","name":"K-01","category":["forDisabled"],"status":"closed","refParkingSite":"urn:ngsi-ld:ParkingSite:k","location":{"type":"Point","coordinates":[10.2,56.15]}}""";
        await ImportAsync(client, spot);

        await ImportAsync(client, """{"id":"urn:ngsi-ld:ParkingSpot:k:1","type":"ParkingSpot","refParkingSite":"urn:ngsi-ld:ParkingSite:k","location":{"type":"Point","coordinates":[10.21,56.15]}}""");

        (await factory.ColumnAsync("select label || ' ' || type || ' ' || out_of_service || ' ' || longitude from spaces where tenant_id = $1", tenant))
            .ShouldBe(["K-01 accessible true 10.21"]);
    }

    [Fact]
    public async Task Import_DeviceEntitiesAndRefDevice_RegisterASensorOnEachSpotWithItsSecretOnce()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        var serial = Payloads.NewSerial("DEV");
        var payload = $$$"""
            [
              {"id":"urn:ngsi-ld:ParkingSpot:d:1","type":"ParkingSpot","name":"D-1","refParkingSite":"urn:ngsi-ld:ParkingSite:d","location":{"type":"Point","coordinates":[10.2,56.15]}},
              {"id":"urn:ngsi-ld:ParkingSpot:d:2","type":"ParkingSpot","name":"D-2","refParkingSite":"urn:ngsi-ld:ParkingSite:d",
               "refDevice":{"type":"Relationship","object":["urn:ngsi-ld:Device:{{{serial}}}-b"]},"location":{"type":"Point","coordinates":[10.2,56.15]}},
              {"id":"urn:ngsi-ld:Device:{{{serial}}}-a","type":"Device","serialNumber":"{{{serial}}}-a","controlledAsset":["urn:ngsi-ld:ParkingSpot:d:1"]},
              {"id":"urn:ngsi-ld:Device:{{{serial}}}-c","type":"Device","serialNumber":"{{{serial}}}-c","controlledAsset":["urn:ngsi-ld:ParkingSpot:nowhere"]}
            ]
            """;

        var result = await ImportAsync(client, payload, "?sensorKind=ultrasonic");

        result.GetProperty("spacesCreated").GetInt32().ShouldBe(2);
        result.GetProperty("sensorsCreated").GetInt32().ShouldBe(2);
        result.GetProperty("sensorSecrets").EnumerateArray().Select(x => x.Str("serial")).ShouldBe([$"{serial}-a", $"urn:ngsi-ld:Device:{serial}-b"]);
        result.GetProperty("sensorErrors").EnumerateArray().Select(e => $"{e.GetProperty("index").GetInt32()} {e.Str("field")}").ShouldBe(["3 controlledAsset"]);
        (await factory.ColumnAsync("select s.label || ' ' || se.serial || ' ' || se.kind from spaces s join sensors se on se.space_id = s.id where s.tenant_id = $1 order by s.label", tenant))
            .ShouldBe([$"D-1 {serial}-a ultrasonic", $"D-2 urn:ngsi-ld:Device:{serial}-b ultrasonic"]);

        var again = await ImportAsync(client, payload);
        again.GetProperty("sensorsCreated").GetInt32().ShouldBe(0);
        again.GetProperty("sensorsUpdated").GetInt32().ShouldBe(2);
        again.GetProperty("sensorSecrets").GetArrayLength().ShouldBe(0);
        (await factory.ScalarAsync<string>("select kind from sensors where serial = $1", $"{serial}-a")).ShouldBe("ultrasonic");
        (await factory.ScalarAsync<string>("select changes::text from audit_log where tenant_id = $1 and action = 'fiware.imported' order by id desc limit 1", tenant))
            .ShouldNotContain("deviceSecret", Case.Insensitive);
    }

    [Fact]
    public async Task Import_EntityWithoutLocation_Returns400NamingItAndWritesNothing()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        var good = File.ReadAllText(ExampleFiles().First(f => f.EndsWith("OffStreetParking__example_ngsi-v2.json", StringComparison.Ordinal)));
        const string bad = """{"id":"no-location","type":"ParkingSpot","name":"X"}""";

        var response = await client.PostAsync("/api/v1/manage/import/fiware", new StringContent($"[{good},{bad}]", Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "[1].location");
        (await factory.ScalarAsync<long>("select count(*) from lots where tenant_id = $1", tenant)).ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"id":"x","type":"Car","location":{"type":"Point","coordinates":[10,56]}}""", "[0].type")]
    [InlineData("""{"type":"ParkingSpot","location":{"type":"Point","coordinates":[10,56]}}""", "[0].id")]
    [InlineData("""{"id":"x","type":"OffStreetParking","location":{"type":"Point","coordinates":[10,95]}}""", "[0].latitude")]
    [InlineData("""{"id": """, "body")]
    public async Task Import_InvalidPayload_Returns400NamingTheProblem(string json, string field)
    {
        using var client = factory.OperatorClient();
        var response = await client.PostAsync("/api/v1/manage/import/fiware", new StringContent(json, Encoding.UTF8, "application/json"));
        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Import_AdminWithoutTenantId_Returns400UntilATenantIsNamed()
    {
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);
        var file = ExampleFiles()[0];

        await (await client.PostAsync("/api/v1/manage/import/fiware", JsonFile(file))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");
        await (await client.PostAsync($"/api/v1/manage/import/fiware?tenantId={Guid.NewGuid()}", JsonFile(file))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");

        var tenant = await factory.CreateTenantAsync();
        var result = await (await client.PostAsync($"/api/v1/manage/import/fiware?tenantId={tenant}", JsonFile(file))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        result.GetProperty("lotsCreated").GetInt32().ShouldBe(1);
        (await factory.ScalarAsync<long>("select count(*) from lots where tenant_id = $1", tenant)).ShouldBe(1);
    }
}
