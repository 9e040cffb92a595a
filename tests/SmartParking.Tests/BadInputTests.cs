using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests;

/// <summary>
/// Text PostgreSQL cannot store, JSON strings that are not text, numbers beyond range and bodies of the wrong shape:
/// each is a 400 naming the field, and in a batch it rejects its own item only.
/// </summary>
public sealed class BadInputTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    private static string LotWithName(string escapedName) =>
        Payloads.Lot().ToJsonString().Replace("\"Harbour Garage\"", $"\"{escapedName}\"");

    [Theory]
    [InlineData(@"Harbour\u0000Garage")]
    [InlineData(@"Harbour\ud800Garage")]
    [InlineData(@"\udc00")]
    public async Task CreateLot_NameThatCannotBeStored_400NamingTheField(string escapedName)
    {
        using var op = factory.OperatorClient();

        var response = await op.PostAsync("/api/v1/manage/lots", Raw(LotWithName(escapedName)));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "name");
    }

    [Fact]
    public async Task Register_EmailOrNameWithNul_400NamingTheField()
    {
        using var anonymous = factory.Anonymous();

        var response = await anonymous.PostAsync("/api/v1/auth/register",
            Raw("""{"email":"nul\u0000@example.com","password":"Correct-Horse-1","displayName":"x"}"""));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "email");
    }

    [Theory]
    [InlineData("/api/v1/manage/sensors?q=a%00b", "q")]
    [InlineData("/api/v1/manage/lots?city=a%00b", "city")]
    [InlineData("/api/v1/manage/reservations?plate=AB%0012", "plate")]
    public async Task List_QueryValueWithNul_400NamingTheParameter(string url, string parameter)
    {
        using var op = factory.OperatorClient();

        await (await op.GetAsync(url)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, parameter);
    }

    [Fact]
    public async Task CreateSensor_SerialWithNul_400NamingSerial()
    {
        using var op = factory.OperatorClient();

        var response = await op.PostAsync("/api/v1/manage/sensors", Raw("""{"serial":"SN-\u0000-1","kind":"magnetometer"}"""));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "serial");
    }

    [Theory]
    [InlineData("""{"sensorId":"SERIAL","status":"occ\ud800upied"}""")]
    [InlineData("""{"sensorId":"SERIAL\u0000","status":"occupied"}""")]
    [InlineData("""{"sensorId":"SERIAL\ud800","status":"occupied"}""")]
    [InlineData("""{"sensorId":"SERIAL","status":"occupied","observedAt":99999999999999999}""")]
    [InlineData("""{"sensorId":"SERIAL","status":"occupied","observedAt":-99999999999999}""")]
    [InlineData("""{"sensorId":"SERIAL","status":"occupied","observedAt":1e400}""")]
    [InlineData("""{"sensorId":"SERIAL","\udfff":1,"status":"occupied"}""")]
    [InlineData("""null""")]
    [InlineData("""[1e309]""")]
    [InlineData("""{"sensorId":"SERIALxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","status":"free"}""")]
    public async Task IngestBatch_OneBadItem_RejectsThatItemAndStoresTheOthers(string badItem)
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await op.CreateSensorAsync(lotId);
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);
        var good = Reading(sensor.Serial, "occupied", SecondsAgo(20)).ToJsonString();
        var later = Reading(sensor.Serial, "free", SecondsAgo(10)).ToJsonString();

        var response = await gateway.PostAsync(ReadingsUrl, Raw($"[{good},{badItem.Replace("SERIAL", sensor.Serial)},{later}]"));

        var result = await response.ShouldHaveStatusAsync(HttpStatusCode.Accepted);
        result.ResultItems().Select(i => i.Str("outcome")).ShouldBe(["accepted", "rejected", "accepted"]);
        result.ResultItems()[1].Str("error").ShouldNotBeNullOrWhiteSpace();
        (await factory.StoredReadingsAsync(sensor.SpaceId)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task IngestBatch_EveryItemRejected_400WithEachItemsReason()
    {
        using var op = factory.OperatorClient();
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);

        var response = await gateway.PostReadingsAsync(Batch(Reading("NO-SUCH-SENSOR", "occupied"), Reading("NO-SUCH-SENSOR-2", "bogus")));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "readings[0]");
        problem.GetProperty("errors").GetProperty("readings[1]")[0].GetString().ShouldNotBeNullOrWhiteSpace();
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"s\"")]
    [InlineData("123")]
    [InlineData("[1e309]")]
    [InlineData("[null]")]
    [InlineData("[\"s\"]")]
    [InlineData("[{\"id\":\"urn:x\\u0000\",\"type\":\"OffStreetParking\",\"location\":{\"type\":\"Point\",\"coordinates\":[10.2,56.1]}}]")]
    [InlineData("[{\"id\":\"urn:x\",\"type\":\"OffStreetParking\",\"name\":\"a\\u0000\",\"location\":{\"type\":\"Point\",\"coordinates\":[10.2,56.1]}}]")]
    [InlineData("[{\"id\":\"urn:x\",\"type\":\"OffStreetParking\",\"location\":{\"type\":\"Point\",\"coordinates\":[1e309,1]}}]")]
    public async Task FiwareImport_BodyOrEntityOfTheWrongShape_400(string body)
    {
        using var op = factory.OperatorClient();

        var response = await op.PostAsync("/api/v1/manage/import/fiware", Raw(body));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/ngsi-ld/v1/entityOperations/upsert", "null")]
    [InlineData("/ngsi-ld/v1/entityOperations/upsert", "\"s\"")]
    [InlineData("/ngsi-ld/v1/entityOperations/upsert", "123")]
    [InlineData("/v2/op/update", "null")]
    [InlineData("/v2/op/update", "[1e309]")]
    [InlineData("/v2/op/update", "{\"actionType\":\"append\",\"entities\":123}")]
    [InlineData("/v2/op/update", "{\"actionType\":\"x\\ud83d\",\"entities\":[]}")]
    [InlineData("/v2/op/update", "{\"\\ud800\":1,\"actionType\":\"append\",\"entities\":[]}")]
    [InlineData("/api/v1/ingest/readings", "{\"\\ud800\":1,\"readings\":[]}")]
    public async Task FiwareIngest_BodyOfTheWrongShape_400(string url, string body)
    {
        using var op = factory.OperatorClient();
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);

        await (await gateway.PostAsync(url, Raw(body))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("[null, {\"id\":\"urn:ngsi-ld:ParkingSpot:none\",\"type\":\"ParkingSpot\",\"status\":{\"type\":\"Property\",\"value\":\"free\"}}]")]
    [InlineData("[\"s\", 1e309, {\"id\":\"urn:\\ud800\",\"type\":\"ParkingSpot\",\"status\":\"free\"}]")]
    public async Task FiwareIngest_EntitiesOfTheWrongShape_EachRefusedOnItsOwn(string body)
    {
        using var op = factory.OperatorClient();
        var (_, key) = await op.CreateGatewayAsync();
        using var gateway = factory.GatewayClient(key);

        var response = await gateway.PostAsync("/ngsi-ld/v1/entityOperations/upsert", Raw(body));

        var result = await response.ShouldHaveStatusAsync(HttpStatusCode.MultiStatus);
        result.GetProperty("errors").GetArrayLength().ShouldBe(JsonNode.Parse(body.Replace("\\ud800", "x"))!.AsArray().Count);
    }

    [Fact]
    public async Task CsvImport_BytesThatAreNotUtf8_400SayingWhichLineInsteadOfStoringReplacementCharacters()
    {
        using var op = factory.OperatorClient();
        var lotId = (await op.CreateLotAsync()).Id();
        var csv = new List<byte>();
        csv.AddRange("label,type\nA1,standard\n"u8.ToArray());
        csv.AddRange([0x42, 0xE6, 0x31]); // "Bæ1" in Latin-1, as a spreadsheet might save it
        csv.AddRange(",standard\n"u8.ToArray());
        var content = new ByteArrayContent([.. csv]);
        content.Headers.ContentType = new("text/csv");

        var problem = await (await op.PostAsync($"/api/v1/manage/lots/{lotId}/spaces/import", content)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "body");

        problem.GetProperty("errors").GetProperty("body")[0].GetString()!.ShouldContain("line 3");
        (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/spaces")).Items().ShouldBeEmpty();
    }

    [Fact]
    public async Task CsvImport_FieldWithNul_400NamingTheRowAndColumn()
    {
        using var op = factory.OperatorClient();
        var lotId = (await op.CreateLotAsync()).Id();

        var response = await op.PostAsync($"/api/v1/manage/lots/{lotId}/spaces/import", Payloads.Csv("label,type\nA\u00001,standard\n"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "row 2: label");
    }

    [Theory]
    [InlineData("readings?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("readings?from=9999-12-31T23:59:59Z", "from")]
    [InlineData("readings?from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z", "from")]
    public async Task SensorReadings_WindowAtTheEdgeOfTime_400NamingTheParameter(string query, string parameter)
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var sensor = await op.CreateSensorAsync((await op.CreateLotAtAsync(lat, lng)).Id());

        await (await op.GetAsync($"/api/v1/manage/sensors/{sensor.SensorId}/{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, parameter);
    }

    [Theory]
    [InlineData("/api/v1/manage/reports/occupancy?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("/api/v1/manage/reports/revenue?from=9999-12-31T00:00:00Z", "from")]
    [InlineData("/api/v1/manage/reports/summary.pdf?to=0001-01-01T00:00:00Z", "to")]
    public async Task Reports_WindowAtTheEdgeOfTime_400NamingTheParameter(string url, string parameter)
    {
        using var op = factory.OperatorClient();

        await (await op.GetAsync(url)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, parameter);
    }
}
