using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Lots;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests;

public sealed class LotTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    [Fact]
    public async Task CreateLot_ValidRequest_Returns201WithTheStoredLot()
    {
        using var client = factory.OperatorClient();

        var response = await client.PostAsJsonAsync("/api/v1/manage/lots", Payloads.Lot("  Harbour Garage  "));

        var lot = await response.ShouldHaveStatusAsync(HttpStatusCode.Created);
        response.Headers.Location!.OriginalString.ShouldBe($"/api/v1/manage/lots/{lot.Id()}");
        lot.Str("name").ShouldBe("Harbour Garage");
        lot.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
        lot.Str("kind").ShouldBe("off_street");
        lot.GetProperty("address").Str("city").ShouldBe("Aarhus");
        lot.GetProperty("latitude").GetDouble().ShouldBe(56.1535);
        lot.Str("timeZone").ShouldBe("Europe/Copenhagen");
        lot.GetProperty("openingHours")[0].Str("closes").ShouldBe("22:00");
        lot.GetProperty("amenities").EnumerateArray().Select(a => a.GetString()).ShouldBe(["cctv", "covered"], ignoreOrder: true);
        lot.GetProperty("capacity").GetProperty("ev").GetInt32().ShouldBe(10);
        lot.GetProperty("totalCapacity").GetInt32().ShouldBe(110);
        lot.GetProperty("baseHourlyRate").GetDecimal().ShouldBe(25.5m);
        lot.Str("currency").ShouldBe("DKK");
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}")).Str("name").ShouldBe("Harbour Garage");
    }

    public static TheoryData<string, string, string> InvalidLotFields => new()
    {
        { "latitude", "100", "latitude" },
        { "latitude", "null", "latitude" },
        { "longitude", "-180.5", "longitude" },
        { "timeZone", "\"Mars/Olympus_Mons\"", "timeZone" },
        { "currency", "\"ABC\"", "currency" },
        { "currency", "\"dkk\"", "currency" },
        { "kind", "\"underground\"", "kind" },
        { "name", "\"  \"", "name" },
        { "baseHourlyRate", "-1", "baseHourlyRate" },
        { "baseHourlyRate", "1.234", "baseHourlyRate" },
        { "openingHours", """[{"day":"mon","opens":"18:00","closes":"08:00"}]""", "openingHours[0].closes" },
        { "openingHours", """[{"day":"mon","opens":"07:00","closes":"22:00"},{"day":"funday","opens":"07:00","closes":"22:00"}]""", "openingHours[1].day" },
        { "openingHours", """[{"day":"tue","opens":"7am","closes":"22:00"}]""", "openingHours[0].opens" },
        { "amenities", """["cctv","jacuzzi"]""", "amenities" },
        { "capacity", """{"spaceship":3}""", "capacity" },
        { "capacity", """{"standard":-3}""", "capacity.standard" },
    };

    [Theory]
    [MemberData(nameof(InvalidLotFields))]
    public async Task CreateLot_InvalidField_Returns400NamingTheField(string property, string json, string expectedKey)
    {
        using var client = factory.OperatorClient();
        var lot = Payloads.Lot();
        lot[property] = JsonNode.Parse(json);

        var response = await client.PostAsJsonAsync("/api/v1/manage/lots", lot);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, expectedKey);
    }

    [Fact]
    public async Task CreateLot_SeveralInvalidFields_ReportsAllOfThem()
    {
        using var client = factory.OperatorClient();
        var lot = Payloads.Lot();
        lot["latitude"] = 100;
        lot["currency"] = "ABC";
        lot["timeZone"] = "Nowhere/Land";

        var problem = await (await client.PostAsJsonAsync("/api/v1/manage/lots", lot)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe(["latitude", "currency", "timeZone"], ignoreOrder: true);
    }

    [Fact]
    public async Task CreateLot_OpeningHoursUntilMidnight_IsAccepted()
    {
        using var client = factory.OperatorClient();
        var lot = Payloads.Lot();
        lot["openingHours"] = JsonNode.Parse("""[{"day":"sat","opens":"00:00","closes":"24:00"}]""");
        (await client.CreateLotAsync(lot)).GetProperty("openingHours")[0].Str("closes").ShouldBe("24:00");
    }

    [Fact]
    public async Task GetLot_UnknownId_Returns404Problem()
    {
        using var client = factory.OperatorClient();
        await (await client.GetAsync($"/api/v1/manage/lots/{Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task GetLot_MalformedId_Returns404()
    {
        // The route only matches GUIDs.
        using var client = factory.OperatorClient();
        await (await client.GetAsync("/api/v1/manage/lots/not-a-guid")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UpdateLot_ValidRequest_ReplacesFields()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var changed = Payloads.Lot("Harbour Garage North", 56.16, 10.21, "on_street");
        changed["baseHourlyRate"] = 30;
        changed["amenities"] = new JsonArray("ev_charging");

        var updated = await (await client.PutAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}", changed)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        updated.Str("name").ShouldBe("Harbour Garage North");
        updated.Str("kind").ShouldBe("on_street");
        updated.GetProperty("baseHourlyRate").GetDecimal().ShouldBe(30m);
        updated.GetProperty("amenities").EnumerateArray().Select(a => a.GetString()).ShouldBe(["ev_charging"]);
        updated.GetProperty("createdAt").GetDateTimeOffset().ShouldBe(lot.GetProperty("createdAt").GetDateTimeOffset());
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}")).Str("name").ShouldBe("Harbour Garage North");
    }

    [Fact]
    public async Task UpdateLot_InvalidRequest_Returns400AndKeepsTheLot()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync(Payloads.Lot("Keep Me"));
        var bad = Payloads.Lot("Changed");
        bad["currency"] = "XYZ1";

        await (await client.PutAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}", bad)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "currency");

        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}")).Str("name").ShouldBe("Keep Me");
    }

    [Fact]
    public async Task UpdateLot_UnknownId_Returns404()
    {
        using var client = factory.OperatorClient();
        await (await client.PutAsJsonAsync($"/api/v1/manage/lots/{Guid.NewGuid()}", Payloads.Lot())).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeleteLot_Existing_Returns204AndRemovesItWithItsSpaces()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id());

        (await client.DeleteAsync($"/api/v1/manage/lots/{lot.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await client.GetAsync($"/api/v1/manage/lots/{lot.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"/api/v1/manage/spaces/{space.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/v1/manage/lots/{lot.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AllLots_KeptBetweenRounds_YetALotCreatedChangedOrDeletedShowsThere()
    {
        // The rounds (pricing, alerts, rollups) read every lot from the catalog, which keeps them while no lot changes.
        var catalog = factory.Services.GetRequiredService<LotCatalog>();
        using var client = factory.OperatorClient();
        await catalog.AllAsync(CancellationToken.None);

        var lot = await client.CreateLotAsync(Payloads.Lot("Kept Garage"));
        await Poll.UntilAsync(() => catalog.AllAsync(CancellationToken.None), all => all.Any(l => l.Id == lot.Id() && l.Name == "Kept Garage"), Eventually, "the new lot among all");
        (await client.PutAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}", Payloads.Lot("Renamed Garage"))).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => catalog.AllAsync(CancellationToken.None), all => all.Single(l => l.Id == lot.Id()).Name == "Renamed Garage", Eventually, "the new name among all");
        (await client.DeleteAsync($"/api/v1/manage/lots/{lot.Id()}")).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => catalog.AllAsync(CancellationToken.None), all => all.All(l => l.Id != lot.Id()), Eventually, "the lot gone from all");
    }

    [Fact]
    public async Task ListLots_PageAndPageSize_ReturnsThatSliceAndTheTotal()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        foreach (var n in new[] { 3, 1, 5, 2, 4 })
            await client.CreateLotAsync(Payloads.Lot($"Lot {n}"));

        var page = await client.GetJsonAsync("/api/v1/manage/lots?page=2&pageSize=2");

        page.GetProperty("page").GetInt32().ShouldBe(2);
        page.GetProperty("pageSize").GetInt32().ShouldBe(2);
        page.GetProperty("total").GetInt64().ShouldBe(5);
        page.Items().Select(l => l.Str("name")).ShouldBe(["Lot 3", "Lot 4"]);
        (await client.GetJsonAsync("/api/v1/manage/lots?page=3&pageSize=2")).Items().Select(l => l.Str("name")).ShouldBe(["Lot 5"]);
        (await client.GetJsonAsync("/api/v1/manage/lots?page=4&pageSize=2")).Items().ShouldBeEmpty();
    }

    [Fact]
    public async Task ListLots_QueryKindCityAndAmenityFilters_ReturnOnlyMatches()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        await client.CreateLotAsync(Payloads.Lot("Central Garage"));
        await client.CreateLotAsync(Payloads.Lot("Central Street Parking", kind: "on_street"));
        var odense = Payloads.Lot("Odense Station");
        odense["address"]!["city"] = "Odense";
        odense["amenities"] = new JsonArray("valet");
        await client.CreateLotAsync(odense);

        (await client.GetJsonAsync("/api/v1/manage/lots?q=central")).Items().Select(l => l.Str("name")).ShouldBe(["Central Garage", "Central Street Parking"]);
        (await client.GetJsonAsync("/api/v1/manage/lots?kind=on_street")).Items().Select(l => l.Str("name")).ShouldBe(["Central Street Parking"]);
        (await client.GetJsonAsync("/api/v1/manage/lots?q=central&kind=off_street")).Items().Select(l => l.Str("name")).ShouldBe(["Central Garage"]);
        (await client.GetJsonAsync("/api/v1/manage/lots?city=odense")).Items().Select(l => l.Str("name")).ShouldBe(["Odense Station"]);
        var valet = await client.GetJsonAsync("/api/v1/manage/lots?amenity=valet");
        valet.Items().Select(l => l.Str("name")).ShouldBe(["Odense Station"]);
        valet.GetProperty("total").GetInt64().ShouldBe(1);
    }

    [Fact]
    public async Task ListLots_QueryWithLikeWildcards_MatchesLiterally()
    {
        var (_, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        await client.CreateLotAsync(Payloads.Lot("North Garage"));
        await client.CreateLotAsync(Payloads.Lot("100% Parking"));

        (await client.GetJsonAsync("/api/v1/manage/lots?q=%25")).Items().Select(l => l.Str("name")).ShouldBe(["100% Parking"]);
        (await client.GetJsonAsync("/api/v1/manage/lots?q=_")).Items().ShouldBeEmpty();
    }

    [Fact]
    public async Task ListLots_PageFarBeyondTheEnd_ReturnsEmptyPage()
    {
        using var client = factory.OperatorClient();
        var page = await client.GetJsonAsync($"/api/v1/manage/lots?page={int.MaxValue}&pageSize=500");
        page.Items().ShouldBeEmpty();
        page.GetProperty("page").GetInt32().ShouldBe(int.MaxValue);
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("kind=garage", "kind")]
    [InlineData("amenity=pool", "amenity")]
    public async Task ListLots_InvalidQuery_Returns400NamingIt(string query, string field)
    {
        using var client = factory.OperatorClient();
        await (await client.GetAsync($"/api/v1/manage/lots?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task GetPublicLot_Anonymous_ReturnsPublicViewWithEffectiveCapacity()
    {
        using var client = factory.OperatorClient();
        var lot = Payloads.Lot("Counted Lot");
        lot["capacity"] = new JsonObject();
        var created = await client.CreateLotAsync(lot);
        await client.CreateSpaceAsync(created.Id(), Payloads.Space("E1", "ev"));
        await client.CreateSpaceAsync(created.Id(), Payloads.Space("E2", "ev"));
        await client.CreateSpaceAsync(created.Id(), Payloads.Space("S1"));
        using var anonymous = factory.Anonymous();

        var view = await anonymous.GetJsonAsync($"/api/v1/lots/{created.Id()}");

        view.Str("name").ShouldBe("Counted Lot");
        view.TryGetProperty("tenantId", out _).ShouldBeFalse();
        view.TryGetProperty("externalId", out _).ShouldBeFalse();
        // No declared capacity: the mapped spaces count.
        view.GetProperty("capacity").GetProperty("ev").GetInt32().ShouldBe(2);
        view.GetProperty("totalCapacity").GetInt32().ShouldBe(3);
        await (await anonymous.GetAsync($"/api/v1/lots/{Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task CreateLot_DuplicateExternalIdInTenant_Returns409()
    {
        using var client = factory.OperatorClient();
        var lot = Payloads.Lot();
        lot["externalId"] = "ext-" + Guid.NewGuid();
        await client.CreateLotAsync(lot);
        await (await client.PostAsJsonAsync("/api/v1/manage/lots", lot)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }
}
