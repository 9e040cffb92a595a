using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>POST /api/v1/manage/sensors/bulk: thousands of sensors in one request, each item judged on its own.</summary>
public sealed class SensorBulkTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private SensorDirectory Credentials => factory.Services.GetRequiredService<SensorDirectory>();

    private static async Task<System.Text.Json.JsonElement> BulkAsync(HttpClient client, object body) =>
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors/bulk", body)).ShouldHaveStatusAsync(HttpStatusCode.OK);

    [Fact]
    public async Task Bulk_ThreeThousandSensorsInOneRequest_RegistersEachOnItsSpaceAndReturnsEachSecretOnce()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        const int count = 3_100;
        var lot = await client.CreateLotAsync();
        var csv = "label,type,external_id\n" + string.Join("\n", Enumerable.Range(1, count).Select(i => $"B{i},standard,bay-{i}"));
        await (await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv(csv))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var prefix = Payloads.NewSerial("BULK");

        var result = await BulkAsync(client, new
        {
            sensors = Enumerable.Range(1, count).Select(i => new { serial = $"{prefix}-{i}", kind = "magnetometer", spaceExternalId = $"bay-{i}" }),
        });

        result.GetProperty("created").GetInt32().ShouldBe(count);
        result.GetProperty("updated").GetInt32().ShouldBe(0);
        result.GetProperty("errors").GetArrayLength().ShouldBe(0);
        var secrets = result.GetProperty("secrets").EnumerateArray().ToList();
        secrets.Select(s => s.Str("serial")).ShouldBe(Enumerable.Range(1, count).Select(i => $"{prefix}-{i}"));
        secrets.Select(s => s.Str("deviceSecret")).Distinct().Count().ShouldBe(count);
        var last = secrets[^1];
        (await Credentials.VerifyAsync(last.Str("serial"), last.Str("deviceSecret"), CancellationToken.None))!.SensorId.ShouldBe(last.GetProperty("sensorId").GetGuid());
        (await factory.ScalarAsync<long>("select count(*) from sensors se join spaces s on s.id = se.space_id where se.tenant_id = $1 and s.external_id = 'bay-' || substr(se.serial, length($2) + 2)", tenant, prefix))
            .ShouldBe(count);
        (await factory.ScalarAsync<long>("select count(*) from audit_log where tenant_id = $1 and action = 'sensors.registered'", tenant)).ShouldBe(1);
    }

    [Fact]
    public async Task Bulk_SameSerialsAgain_MovesThemWithoutSecretsUnlessRotationIsAsked()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var first = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("R1"));
        var second = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("R2"));
        var serial = Payloads.NewSerial();
        var created = await BulkAsync(client, new { sensors = new[] { new { serial, kind = "magnetometer", spaceId = first.Id() } } });
        var oldSecret = created.GetProperty("secrets")[0].Str("deviceSecret");

        var moved = await BulkAsync(client, new { sensors = new[] { new { serial, kind = "camera", spaceId = second.Id() } } });

        moved.GetProperty("created").GetInt32().ShouldBe(0);
        moved.GetProperty("updated").GetInt32().ShouldBe(1);
        moved.GetProperty("secrets").GetArrayLength().ShouldBe(0);
        var space = await client.GetJsonAsync($"/api/v1/manage/spaces/{second.Id()}");
        space.Str("sensorSerial").ShouldBe(serial);
        (await factory.ScalarAsync<string>("select kind from sensors where serial = $1", serial)).ShouldBe("camera");

        var rotated = await BulkAsync(client, new { rotateSecrets = true, sensors = new[] { new { serial, kind = "camera", spaceId = second.Id() } } });

        var newSecret = rotated.GetProperty("secrets").EnumerateArray().ShouldHaveSingleItem().Str("deviceSecret");
        newSecret.ShouldNotBe(oldSecret);
        (await Credentials.VerifyAsync(serial, newSecret, CancellationToken.None)).ShouldNotBeNull();
        (await Credentials.VerifyAsync(serial, oldSecret, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task Bulk_BadItems_AreReportedByIndexAndFieldWhileTheOthersAreRegistered()
    {
        var (otherTenant, other, _) = await factory.NewTenantWithOperatorAsync();
        using var _other = other;
        var otherLot = await other.CreateLotAsync();
        var otherSpace = await other.CreateSpaceAsync(otherLot.Id(), Payloads.Space("O1"));
        var otherSerial = Payloads.NewSerial("OTHER");
        await other.CreateSensorAsync(Payloads.Sensor(otherSerial, lotId: otherLot.Id()));
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        var lot = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("E1"));
        string a = Payloads.NewSerial(), b = Payloads.NewSerial(), c = Payloads.NewSerial(), d = Payloads.NewSerial(), e = Payloads.NewSerial();

        var result = await BulkAsync(client, new
        {
            sensors = new object[]
            {
                new { serial = a, kind = "magnetometer", spaceId = space.Id() },
                new { serial = "has space", kind = "magnetometer" },
                new { serial = b, kind = "lidar" },
                new { serial = otherSerial, kind = "magnetometer", lotId = lot.Id() },
                new { serial = c, kind = "magnetometer", spaceId = otherSpace.Id() },
                new { serial = a, kind = "camera" },
                new { serial = d, kind = "magnetometer", spaceId = space.Id() },
                new { serial = e, kind = "camera", lotId = otherLot.Id() },
                new { serial = e + "x", kind = "camera", lotId = lot.Id() },
            },
        });

        result.GetProperty("created").GetInt32().ShouldBe(2);
        result.GetProperty("secrets").EnumerateArray().Select(s => s.Str("serial")).ShouldBe([a, e + "x"]);
        result.GetProperty("errors").EnumerateArray().Select(x => $"{x.GetProperty("index").GetInt32()} {x.Str("field")}")
            .ShouldBe(["1 serial", "2 kind", "3 serial", "4 spaceId", "5 serial", "6 spaceId", "7 lotId"]);
        (await factory.ColumnAsync("select serial from sensors where tenant_id = $1", tenant)).ShouldBe([a, e + "x"], ignoreOrder: true);
        // Another tenant's serial is reported, never taken over.
        (await factory.ScalarAsync<Guid>("select tenant_id from sensors where serial = $1", otherSerial)).ShouldBe(otherTenant);
        (await factory.ScalarAsync<Guid>("select lot_id from sensors where serial = $1", otherSerial)).ShouldBe(otherLot.Id());
    }

    [Fact]
    public async Task Bulk_MoreThanTheCapOrNoList_Returns400NamingSensors()
    {
        using var client = factory.OperatorClient();
        var tooMany = Enumerable.Range(0, 5_001).Select(i => new { serial = $"CAP-{i}", kind = "magnetometer" });

        await (await client.PostAsJsonAsync("/api/v1/manage/sensors/bulk", new { sensors = tooMany })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "sensors");
        await (await client.PostAsJsonAsync("/api/v1/manage/sensors/bulk", new { })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "sensors");
        (await factory.ScalarAsync<long>("select count(*) from sensors where serial like 'CAP-%'")).ShouldBe(0);
    }

    [Fact]
    public async Task Bulk_AdminNamesTheTenant_AndAnOperatorAlwaysWritesIntoTheirOwn()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using var _client = client;
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);
        var serial = Payloads.NewSerial();

        await (await adminClient.PostAsJsonAsync("/api/v1/manage/sensors/bulk", new { sensors = new[] { new { serial, kind = "camera" } } }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");
        (await BulkAsync(adminClient, new { tenantId = tenant, sensors = new[] { new { serial, kind = "camera" } } })).GetProperty("created").GetInt32().ShouldBe(1);
        (await factory.ScalarAsync<Guid>("select tenant_id from sensors where serial = $1", serial)).ShouldBe(tenant);

        // An operator's tenantId is not theirs to choose: the sensors go to the operator's own tenant.
        using var home = factory.OperatorClient();
        var stray = Payloads.NewSerial();
        await BulkAsync(home, new { tenantId = tenant, sensors = new[] { new { serial = stray, kind = "camera" } } });
        (await factory.ScalarAsync<Guid>("select tenant_id from sensors where serial = $1", stray)).ShouldBe(factory.TenantId);
    }
}

/// <summary>A server allowing each client three requests an hour, to count what a bulk registration costs.</summary>
public sealed class ThreeRequestsFactory : ApiFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Http:RequestsPerWindow"] = "3";
        settings["Http:WindowSeconds"] = "3600";
    }
}

public sealed class SensorBulkRateLimitTests(ThreeRequestsFactory factory) : IClassFixture<ThreeRequestsFactory>
{
    [Fact]
    public async Task Bulk_ThousandsOfSensors_CostOneRequestOfTheRateLimit()
    {
        // Seeded without HTTP, so the three permits are all the test's.
        var account = await factory.SeedOperatorAsync(await factory.CreateTenantAsync());
        using var client = factory.ClientFor(account);
        var lot = await client.CreateLotAsync();
        var prefix = Payloads.NewSerial("RL");

        var result = await (await client.PostAsJsonAsync("/api/v1/manage/sensors/bulk", new
        {
            sensors = Enumerable.Range(1, 3_000).Select(i => new { serial = $"{prefix}-{i}", kind = "magnetometer", lotId = lot.Id() }),
        })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        result.GetProperty("created").GetInt32().ShouldBe(3_000);
        (await client.GetJsonAsync("/api/v1/manage/sensors?pageSize=1")).GetProperty("total").GetInt64().ShouldBe(3_000);
        (await client.GetAsync("/api/v1/manage/sensors?pageSize=1")).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
    }
}
