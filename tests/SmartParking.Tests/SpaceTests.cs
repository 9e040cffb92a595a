using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>Zones, spaces and the CSV import of spaces.</summary>
public sealed class SpaceTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    // ---- zones ----------------------------------------------------------------------------------

    [Fact]
    public async Task CreateZone_ValidRequest_Returns201AndListsInCodeOrder()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();

        var response = await client.PostAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones", Payloads.Zone("L2", "Level 2"));
        await client.CreateZoneAsync(lot.Id(), Payloads.Zone("L1", "Level 1"));

        var zone = await response.ShouldHaveStatusAsync(HttpStatusCode.Created);
        response.Headers.Location!.OriginalString.ShouldBe($"/api/v1/manage/zones/{zone.Id()}");
        zone.GetProperty("lotId").GetGuid().ShouldBe(lot.Id());
        zone.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
        var zones = await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones");
        zones.EnumerateArray().Select(z => z.Str("code")).ShouldBe(["L1", "L2"]);
    }

    [Fact]
    public async Task CreateZone_DuplicateCodeInLot_Returns409()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        await client.CreateZoneAsync(lot.Id(), Payloads.Zone("P1"));
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones", Payloads.Zone("P1"))).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        // Another lot may reuse the code.
        var other = await client.CreateLotAsync();
        await client.CreateZoneAsync(other.Id(), Payloads.Zone("P1"));
    }

    [Theory]
    [InlineData("", "Level", "code")]
    [InlineData("L1", "", "name")]
    [InlineData("THIS-CODE-IS-LONGER-THAN-FORTY-CHARACTERS", "Level", "code")]
    public async Task CreateZone_InvalidField_Returns400NamingIt(string code, string name, string field)
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones", Payloads.Zone(code, name))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task CreateZone_UnknownLot_Returns404()
    {
        using var client = factory.OperatorClient();
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{Guid.NewGuid()}/zones", Payloads.Zone())).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UpdateZone_ValidRequest_ChangesCodeAndName()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var zone = await client.CreateZoneAsync(lot.Id());

        var updated = await (await client.PutAsJsonAsync($"/api/v1/manage/zones/{zone.Id()}", Payloads.Zone("B1", "Basement"))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        updated.Str("code").ShouldBe("B1");
        updated.Str("name").ShouldBe("Basement");
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones")).EnumerateArray().Single().Str("name").ShouldBe("Basement");
        await (await client.PutAsJsonAsync($"/api/v1/manage/zones/{Guid.NewGuid()}", Payloads.Zone())).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeleteZone_WithSpaces_Returns204AndKeepsTheSpacesWithoutZone()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var zone = await client.CreateZoneAsync(lot.Id());
        var space = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("Z1", zoneId: zone.Id()));

        (await client.DeleteAsync($"/api/v1/manage/zones/{zone.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones")).GetArrayLength().ShouldBe(0);
        var kept = await client.GetJsonAsync($"/api/v1/manage/spaces/{space.Id()}");
        kept.GetProperty("zoneId").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        await (await client.DeleteAsync($"/api/v1/manage/zones/{zone.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    // ---- spaces ---------------------------------------------------------------------------------

    [Fact]
    public async Task CreateSpace_ValidRequest_Returns201WithZoneAndCountsInLot()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var zone = await client.CreateZoneAsync(lot.Id());
        var body = Payloads.Space(" A-01 ", "ev", zone.Id(), level: "1");
        body["latitude"] = 56.15;
        body["longitude"] = 10.2;

        var response = await client.PostAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces", body);

        var space = await response.ShouldHaveStatusAsync(HttpStatusCode.Created);
        response.Headers.Location!.OriginalString.ShouldBe($"/api/v1/manage/spaces/{space.Id()}");
        space.Str("label").ShouldBe("A-01");
        space.Str("type").ShouldBe("ev");
        space.Str("level").ShouldBe("1");
        space.GetProperty("zoneId").GetGuid().ShouldBe(zone.Id());
        space.GetProperty("outOfService").GetBoolean().ShouldBeFalse();
        space.GetProperty("lotId").GetGuid().ShouldBe(lot.Id());
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}")).GetProperty("spaceCounts").GetProperty("ev").GetInt32().ShouldBe(1);
    }

    [Theory]
    [InlineData("type", "\"spaceship\"", "type")]
    [InlineData("type", "null", "type")]
    [InlineData("label", "\"\"", "label")]
    [InlineData("latitude", "95", "latitude")]
    [InlineData("longitude", "190", "longitude")]
    public async Task CreateSpace_InvalidField_Returns400NamingIt(string property, string json, string field)
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var body = Payloads.Space();
        body[property] = System.Text.Json.Nodes.JsonNode.Parse(json);
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces", body)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task CreateSpace_ZoneOfAnotherLot_Returns400NamingZoneId()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var other = await client.CreateLotAsync();
        var foreignZone = await client.CreateZoneAsync(other.Id());

        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces", Payloads.Space(zoneId: foreignZone.Id())))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "zoneId");
    }

    [Fact]
    public async Task CreateSpace_DuplicateLabelInLot_Returns409()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        await client.CreateSpaceAsync(lot.Id(), Payloads.Space("D1"));
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces", Payloads.Space(" D1 "))).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task UpdateSpace_ValidRequest_ChangesFieldsAndKeepsOutOfServiceWhenOmitted()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var created = Payloads.Space("U1");
        created["outOfService"] = true;
        var space = await client.CreateSpaceAsync(lot.Id(), created);

        var updated = await (await client.PutAsJsonAsync($"/api/v1/manage/spaces/{space.Id()}", Payloads.Space("U1b", "accessible", level: "2")))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        updated.Str("label").ShouldBe("U1b");
        updated.Str("type").ShouldBe("accessible");
        updated.Str("level").ShouldBe("2");
        updated.GetProperty("outOfService").GetBoolean().ShouldBeTrue();
        (await client.GetJsonAsync($"/api/v1/manage/spaces/{space.Id()}")).Str("label").ShouldBe("U1b");
    }

    [Fact]
    public async Task UpdateSpace_LabelOfAnotherSpace_Returns409()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        await client.CreateSpaceAsync(lot.Id(), Payloads.Space("X1"));
        var second = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("X2"));

        await (await client.PutAsJsonAsync($"/api/v1/manage/spaces/{second.Id()}", Payloads.Space("X1"))).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        (await client.GetJsonAsync($"/api/v1/manage/spaces/{second.Id()}")).Str("label").ShouldBe("X2");
    }

    [Fact]
    public async Task DeleteSpace_Existing_Returns204ThenGone()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id());

        (await client.DeleteAsync($"/api/v1/manage/spaces/{space.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await client.GetAsync($"/api/v1/manage/spaces/{space.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/api/v1/manage/spaces/{space.Id()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ListSpaces_FiltersAndPaging_ReturnMatchingSlice()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var zone = await client.CreateZoneAsync(lot.Id());
        foreach (var label in new[] { "A1", "A2", "A3", "A10", "B1" })
            await client.CreateSpaceAsync(lot.Id(), Payloads.Space(label, label == "A2" || label == "B1" ? "ev" : "standard", label.StartsWith('A') ? zone.Id() : null));

        var all = await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces");
        // Natural order: A2 before A10.
        all.Items().Select(s => s.Str("label")).ShouldBe(["A1", "A2", "A3", "B1", "A10"]);
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces?type=ev")).Items().Select(s => s.Str("label")).ShouldBe(["A2", "B1"]);
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces?q=a1")).Items().Select(s => s.Str("label")).ShouldBe(["A1", "A10"]);
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces?q=_1")).Items().ShouldBeEmpty();
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces?zoneId={zone.Id()}")).GetProperty("total").GetInt64().ShouldBe(4);
        var page = await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces?page=2&pageSize=2");
        page.Items().Select(s => s.Str("label")).ShouldBe(["A3", "B1"]);
        page.GetProperty("total").GetInt64().ShouldBe(5);
        await (await client.GetAsync($"/api/v1/manage/lots/{lot.Id()}/spaces?type=hovercraft")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "type");
        await (await client.GetAsync($"/api/v1/manage/lots/{Guid.NewGuid()}/spaces")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    // ---- CSV import -----------------------------------------------------------------------------

    [Fact]
    public async Task ImportCsv_ValidFile_CreatesSpacesAndTheirZones()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        const string csv = """
            label,type,level,zone,out_of_service,latitude,longitude,external_id
            C1,standard,1,North,false,56.1,10.2,ext-c1
            C2,EV,1,North,yes,,,
            C3,accessible,2,South,,,,

            """;

        var result = await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv(csv))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        result.GetProperty("created").GetInt32().ShouldBe(3);
        result.GetProperty("updated").GetInt32().ShouldBe(0);
        var spaces = (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces")).Items();
        spaces.Select(s => s.Str("label")).ShouldBe(["C1", "C2", "C3"]);
        spaces[1].Str("type").ShouldBe("ev");
        spaces[1].GetProperty("outOfService").GetBoolean().ShouldBeTrue();
        spaces[0].Str("externalId").ShouldBe("ext-c1");
        spaces[0].GetProperty("latitude").GetDouble().ShouldBe(56.1);
        var zones = await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones");
        zones.EnumerateArray().Select(z => z.Str("code")).ShouldBe(["North", "South"]);
        spaces[0].GetProperty("zoneId").GetGuid().ShouldBe(zones[0].Id());
    }

    [Fact]
    public async Task ImportCsv_SameLabelsAgain_UpdatesInsteadOfDuplicating()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv("label,type,zone\nR1,standard,Z\nR2,standard,Z\n"));

        var second = await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv("label,type,zone\nR1,ev,Z\nR2,compact,Z\nR3,standard,Z\n")))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        second.GetProperty("created").GetInt32().ShouldBe(1);
        second.GetProperty("updated").GetInt32().ShouldBe(2);
        var spaces = (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces")).Items();
        spaces.Select(s => (s.Str("label"), s.Str("type"))).ShouldBe([("R1", "ev"), ("R2", "compact"), ("R3", "standard")]);
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones")).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task ImportCsv_WithSensorColumns_RegistersTheSensorsAndReturnsOnlyNewSecretsUnlessRotationIsAsked()
    {
        var (_, other, _) = await factory.NewTenantWithOperatorAsync();
        using var _other = other;
        var otherSerial = Payloads.NewSerial("OTHER");
        await other.CreateSensorAsync(Payloads.Sensor(otherSerial));
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        var lot = await client.CreateLotAsync();
        string s1 = Payloads.NewSerial(), s2 = Payloads.NewSerial();
        var csv = $"label,type,sensor_serial,sensor_kind\nC1,standard,{s1},\nC2,ev,{s2},Camera\nC3,standard,{otherSerial},\nC4,standard,,ultrasonic\nC5,standard,bad/serial,\nC6,standard,{s1},\n";
        var url = $"/api/v1/manage/lots/{lot.Id()}/spaces/import";

        var result = await (await client.PostAsync(url, Payloads.Csv(csv))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        result.GetProperty("created").GetInt32().ShouldBe(6);
        result.GetProperty("sensorsCreated").GetInt32().ShouldBe(2);
        result.GetProperty("sensorSecrets").EnumerateArray().Select(x => x.Str("serial")).ShouldBe([s1, s2]);
        result.GetProperty("sensorSecrets").EnumerateArray().ShouldAllBe(x => x.Str("deviceSecret").Length >= 40);
        result.GetProperty("errors").EnumerateArray().Select(e => $"{e.GetProperty("row").GetInt32()} {e.Str("field")}")
            .ShouldBe(["4 sensor_serial", "5 sensor_kind", "6 sensor_serial", "7 sensor_serial"]);
        (await factory.ColumnAsync("select s.label || ' ' || se.serial || ' ' || se.kind from spaces s join sensors se on se.space_id = s.id where s.tenant_id = $1 order by s.label", tenant))
            .ShouldBe([$"C1 {s1} magnetometer", $"C2 {s2} camera"]);
        (await factory.ScalarAsync<Guid>("select tenant_id from sensors where serial = $1", otherSerial)).ShouldNotBe(tenant);

        var again = await (await client.PostAsync(url, Payloads.Csv($"label,type,sensor_serial\nC1,standard,{s1}\nC2,ev,{s2}\n"))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        again.GetProperty("sensorsCreated").GetInt32().ShouldBe(0);
        again.GetProperty("sensorsUpdated").GetInt32().ShouldBe(2);
        again.GetProperty("sensorSecrets").GetArrayLength().ShouldBe(0);
        (await factory.ScalarAsync<string>("select kind from sensors where serial = $1", s2)).ShouldBe("camera");

        var rotated = await (await client.PostAsync(url + "?rotateSecrets=true", Payloads.Csv($"label,type,sensor_serial\nC1,standard,{s1}\n"))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        rotated.GetProperty("sensorSecrets").EnumerateArray().ShouldHaveSingleItem().Str("serial").ShouldBe(s1);
    }

    [Fact]
    public async Task ImportCsv_BadRow_Returns400NamingRowAndFieldAndWritesNothing()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        const string csv = "label,type,zone,latitude\nG1,standard,NewZone,\nG2,rocket,NewZone,\nG3,standard,NewZone,north\n";

        var problem = await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv(csv)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "row 3: type");

        problem.GetProperty("errors").TryGetProperty("row 4: latitude", out _).ShouldBeTrue(problem.ToString());
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces")).GetProperty("total").GetInt64().ShouldBe(0);
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/zones")).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task ImportCsv_DuplicateLabelInFile_Returns400()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv("label,type\nK1,standard\nK1,ev\n")))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "row 3: label");
    }

    [Theory]
    [InlineData("label,level\nA1,1\n", "header")]
    [InlineData("label,type\n", "body")]
    [InlineData("", "body")]
    public async Task ImportCsv_MissingColumnOrRows_Returns400(string csv, string field)
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv(csv))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task ImportCsv_JsonContentType_IsRefused()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var response = await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import",
            new StringContent("label,type\nA1,standard\n", System.Text.Encoding.UTF8, "application/json"));
        ((int)response.StatusCode).ShouldBeOneOf(400, 415);
        (await client.GetJsonAsync($"/api/v1/manage/lots/{lot.Id()}/spaces")).GetProperty("total").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task ImportCsv_UnknownLot_Returns404()
    {
        using var client = factory.OperatorClient();
        await (await client.PostAsync($"/api/v1/manage/lots/{Guid.NewGuid()}/spaces/import", Payloads.Csv("label,type\nA1,standard\n")))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }
}
