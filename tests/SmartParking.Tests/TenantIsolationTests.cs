using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>Two tenants, A and B, each with an operator and a lot, zone, space and sensor.</summary>
public sealed class IsolationFactory : ApiFactory
{
    public Guid TenantA { get; private set; }
    public Guid TenantB { get; private set; }
    public TestAccount OperatorA { get; private set; } = null!;
    public TestAccount OperatorB { get; private set; } = null!;
    public Guid LotA { get; private set; }
    public Guid SpaceA { get; private set; }
    public Guid SensorA { get; private set; }
    public Guid LotB { get; private set; }
    public Guid ZoneB { get; private set; }
    public Guid SpaceB { get; private set; }
    public Guid SensorB { get; private set; }
    public string SensorBSerial { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        TenantA = await CreateTenantAsync("Tenant A");
        TenantB = await CreateTenantAsync("Tenant B");
        OperatorA = await CreateOperatorAsync(TenantA);
        OperatorB = await CreateOperatorAsync(TenantB);

        using var a = ClientFor(OperatorA);
        LotA = (await a.CreateLotAsync(Payloads.Lot("A's lot"))).Id();
        await a.CreateZoneAsync(LotA, Payloads.Zone("A1", "A's zone"));
        SpaceA = (await a.CreateSpaceAsync(LotA, Payloads.Space("A-1"))).Id();
        SensorA = (await a.CreateSensorAsync(Payloads.Sensor(Payloads.NewSerial("A")))).GetProperty("sensor").Id();

        using var b = ClientFor(OperatorB);
        var lot = Payloads.Lot("B's lot");
        lot["externalId"] = "shared-external-id";
        LotB = (await b.CreateLotAsync(lot)).Id();
        ZoneB = (await b.CreateZoneAsync(LotB, Payloads.Zone("B1", "B's zone"))).Id();
        SpaceB = (await b.CreateSpaceAsync(LotB, Payloads.Space("B-1", zoneId: ZoneB))).Id();
        SensorBSerial = Payloads.NewSerial("B");
        SensorB = (await b.CreateSensorAsync(Payloads.Sensor(SensorBSerial, spaceId: SpaceB))).GetProperty("sensor").Id();
    }

    /// <summary>Every row of tenant B, as text: any change by A shows up as a difference.</summary>
    public async Task<string> SnapshotOfBAsync() => string.Join("\n", await ColumnAsync("""
        select t from (
            select l::text from lots l where tenant_id = $1
            union all select z::text from zones z where tenant_id = $1
            union all select s::text from spaces s where tenant_id = $1
            union all select se::text from sensors se where tenant_id = $1
            union all select te::text from tenants te where id = $1
            union all select u.id::text || u.role || coalesce(u.tenant_id::text, '') from users u where tenant_id = $1
        ) x(t) order by t
        """, TenantB));

    public string Resolve(string template) => template
        .Replace("{lotB}", LotB.ToString(), StringComparison.Ordinal)
        .Replace("{zoneB}", ZoneB.ToString(), StringComparison.Ordinal)
        .Replace("{spaceB}", SpaceB.ToString(), StringComparison.Ordinal)
        .Replace("{sensorB}", SensorB.ToString(), StringComparison.Ordinal)
        .Replace("{tenantB}", TenantB.ToString(), StringComparison.Ordinal);
}

public sealed class TenantIsolationTests(IsolationFactory factory) : IClassFixture<IsolationFactory>
{
    /// <summary>Operator endpoints aimed at one of B's resources, with a valid body so that only the tenant check can refuse them.</summary>
    public static TheoryData<string, string, string> ForeignResourceRequests => new()
    {
        { "GET", "/api/v1/manage/lots/{lotB}", "" },
        { "PUT", "/api/v1/manage/lots/{lotB}", "lot" },
        { "DELETE", "/api/v1/manage/lots/{lotB}", "" },
        { "GET", "/api/v1/manage/lots/{lotB}/zones", "" },
        { "POST", "/api/v1/manage/lots/{lotB}/zones", "zone" },
        { "PUT", "/api/v1/manage/zones/{zoneB}", "zone" },
        { "DELETE", "/api/v1/manage/zones/{zoneB}", "" },
        { "GET", "/api/v1/manage/lots/{lotB}/spaces", "" },
        { "POST", "/api/v1/manage/lots/{lotB}/spaces", "space" },
        { "POST", "/api/v1/manage/lots/{lotB}/spaces/import", "csv" },
        { "GET", "/api/v1/manage/spaces/{spaceB}", "" },
        { "PUT", "/api/v1/manage/spaces/{spaceB}", "space" },
        { "DELETE", "/api/v1/manage/spaces/{spaceB}", "" },
        { "GET", "/api/v1/manage/sensors/{sensorB}", "" },
        { "PUT", "/api/v1/manage/sensors/{sensorB}", "sensor" },
        { "DELETE", "/api/v1/manage/sensors/{sensorB}", "" },
        { "POST", "/api/v1/manage/sensors/{sensorB}/credentials", "" },
        { "GET", "/api/v1/manage/tenants/{tenantB}", "" },
    };

    [Theory]
    [MemberData(nameof(ForeignResourceRequests))]
    public async Task OperatorEndpoint_OtherTenantsResource_Returns404AndChangesNothing(string method, string path, string body)
    {
        var before = await factory.SnapshotOfBAsync();
        using var client = factory.ClientFor(factory.OperatorA);
        var request = new HttpRequestMessage(new HttpMethod(method), factory.Resolve(path)) { Content = Body(body) };

        var response = await client.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        (await factory.SnapshotOfBAsync()).ShouldBe(before);
    }

    public static TheoryData<string> ForeignReads
    {
        get
        {
            var reads = new TheoryData<string>();
            foreach (var row in ForeignResourceRequests)
                if ((string)row[0] == "GET") reads.Add((string)row[1]);
            return reads;
        }
    }

    [Theory]
    [MemberData(nameof(ForeignReads))]
    public async Task OperatorRead_OwnTenantsResource_Returns200(string path)
    {
        // B's own operator reads the same URLs, so the 404s above come from the tenant check and not from bad URLs.
        using var client = factory.ClientFor(factory.OperatorB);
        await client.GetJsonAsync(factory.Resolve(path));
    }

    public static TheoryData<string> ListEndpoints => new()
    {
        "/api/v1/manage/lots",
        "/api/v1/manage/lots?tenantId={tenantB}",
        "/api/v1/manage/sensors",
        "/api/v1/manage/sensors?tenantId={tenantB}",
        "/api/v1/manage/audit",
        "/api/v1/manage/audit?tenantId={tenantB}",
        "/api/v1/manage/users",
        "/api/v1/manage/users?tenantId={tenantB}",
    };

    [Theory]
    [MemberData(nameof(ListEndpoints))]
    public async Task OperatorList_OtherTenantsRows_OnlyOwnRowsAreListed(string path)
    {
        using var client = factory.ClientFor(factory.OperatorA);

        var page = await client.GetJsonAsync(factory.Resolve(path));

        var items = page.Items();
        items.ShouldNotBeEmpty();
        items.ShouldAllBe(i => i.GetProperty("tenantId").GetGuid() == factory.TenantA);
        page.GetProperty("total").GetInt64().ShouldBe(items.Count);
        var text = page.ToString();
        foreach (var foreign in new[] { factory.LotB, factory.ZoneB, factory.SpaceB, factory.SensorB, factory.OperatorB.Id })
            text.ShouldNotContain(foreign.ToString());
    }

    [Fact]
    public async Task ListTenants_Operator_SeesOnlyOwnTenant()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var tenants = await client.GetJsonAsync("/api/v1/manage/tenants");
        tenants.EnumerateArray().Select(t => t.Id()).ShouldBe([factory.TenantA]);
    }

    [Fact]
    public async Task CreateSpace_ZoneOfOtherTenant_Returns400AndWritesNothing()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var before = await factory.ScalarAsync<long>("select count(*) from spaces");
        await (await client.PostAsJsonAsync($"/api/v1/manage/lots/{factory.LotA}/spaces", Payloads.Space("A-x", zoneId: factory.ZoneB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "zoneId");
        (await factory.ScalarAsync<long>("select count(*) from spaces")).ShouldBe(before);
    }

    [Fact]
    public async Task CreateSensor_SpaceOrLotOfOtherTenant_Returns400()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(Payloads.NewSerial(), spaceId: factory.SpaceB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "spaceId");
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors", Payloads.Sensor(Payloads.NewSerial(), lotId: factory.LotB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "lotId");
    }

    [Fact]
    public async Task UpdateSensor_MoveOwnSensorOntoOtherTenantsSpace_Returns400AndChangesNothing()
    {
        var before = await factory.SnapshotOfBAsync();
        using var client = factory.ClientFor(factory.OperatorA);
        var serial = (await client.GetJsonAsync($"/api/v1/manage/sensors/{factory.SensorA}")).Str("serial");

        await (await client.PutAsJsonAsync($"/api/v1/manage/sensors/{factory.SensorA}", Payloads.Sensor(serial, spaceId: factory.SpaceB)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "spaceId");

        (await factory.SnapshotOfBAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task CreateLotOrSensor_TenantIdOfOtherTenantInBody_IsIgnoredForOperators()
    {
        using var client = factory.ClientFor(factory.OperatorA);
        var lot = Payloads.Lot("Smuggled");
        lot["tenantId"] = factory.TenantB.ToString();
        (await client.CreateLotAsync(lot)).GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantA);

        var sensor = Payloads.Sensor(Payloads.NewSerial());
        sensor["tenantId"] = factory.TenantB.ToString();
        (await client.CreateSensorAsync(sensor)).GetProperty("sensor").GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantA);
    }

    [Fact]
    public async Task FiwareImport_ExternalIdUsedByOtherTenant_CreatesOwnLotAndLeavesOtherTenantsLot()
    {
        var before = await factory.SnapshotOfBAsync();
        using var client = factory.ClientFor(factory.OperatorA);
        const string entity = """{"id":"shared-external-id","type":"OffStreetParking","name":"A's import","location":{"type":"Point","coordinates":[10.2,56.15]}}""";

        var result = await (await client.PostAsync($"/api/v1/manage/import/fiware?tenantId={factory.TenantB}", new StringContent(entity, Encoding.UTF8, "application/json")))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        result.GetProperty("lotsCreated").GetInt32().ShouldBe(1);
        (await factory.ScalarAsync<Guid>("select tenant_id from lots where name = $1", "A's import")).ShouldBe(factory.TenantA);
        (await factory.SnapshotOfBAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task GetPublicLot_OtherTenantsLot_IsVisibleToEveryone()
    {
        // Lots are public to drivers; isolation is about managing them.
        using var anonymous = factory.Anonymous();
        (await anonymous.GetJsonAsync($"/api/v1/lots/{factory.LotB}")).Str("name").ShouldBe("B's lot");
    }

    private HttpContent? Body(string kind) => kind switch
    {
        "lot" => JsonContent.Create(Payloads.Lot("Hijacked")),
        "zone" => JsonContent.Create(Payloads.Zone("HX", "Hijacked")),
        "space" => JsonContent.Create(Payloads.Space("HX-1", "ev")),
        "sensor" => JsonContent.Create(Payloads.Sensor(factory.SensorBSerial, "camera")),
        "csv" => Payloads.Csv("label,type\nHX-2,standard\n"),
        _ => null,
    };
}
