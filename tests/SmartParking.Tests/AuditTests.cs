using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

public sealed class AuditTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private async Task<List<JsonElement>> AuditAsync(HttpClient client, string entityType, Guid entityId) =>
        (await client.GetJsonAsync($"/api/v1/manage/audit?entityType={entityType}&entityId={entityId}&pageSize=100")).Items().ToList();

    private void ShouldBeByOperator(JsonElement entry)
    {
        entry.Str("actorEmail").ShouldBe(factory.Operator.Email);
        entry.GetProperty("actorId").GetGuid().ShouldBe(factory.Operator.Id);
        entry.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
    }

    [Fact]
    public async Task Audit_LotCreatedUpdatedDeleted_RecordsEachWithActorNewestFirst()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync(Payloads.Lot("Audited Lot"));
        await client.PutAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}", Payloads.Lot("Audited Lot 2"));
        await client.DeleteAsync($"/api/v1/manage/lots/{lot.Id()}");

        var entries = await AuditAsync(client, "lot", lot.Id());

        entries.Select(e => e.Str("action")).ShouldBe(["lot.deleted", "lot.updated", "lot.created"]);
        entries.ForEach(ShouldBeByOperator);
        entries.ShouldAllBe(e => e.Str("entityId") == lot.Id().ToString());
        entries[1].GetProperty("changes").Str("name").ShouldBe("Audited Lot 2");
        entries[0].GetProperty("changes").Str("name").ShouldBe("Audited Lot 2");
    }

    [Fact]
    public async Task Audit_SpaceCreatedUpdatedDeleted_RecordsEachWithActor()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var space = await client.CreateSpaceAsync(lot.Id(), Payloads.Space("AU-1"));
        await client.PutAsJsonAsync($"/api/v1/manage/spaces/{space.Id()}", Payloads.Space("AU-1", "ev"));
        await client.DeleteAsync($"/api/v1/manage/spaces/{space.Id()}");

        var entries = await AuditAsync(client, "space", space.Id());

        entries.Select(e => e.Str("action")).ShouldBe(["space.deleted", "space.updated", "space.created"]);
        entries.ForEach(ShouldBeByOperator);
        var update = entries[1].GetProperty("changes");
        update.GetProperty("before").Str("type").ShouldBe("standard");
        update.GetProperty("after").Str("type").ShouldBe("ev");
    }

    [Fact]
    public async Task Audit_SensorLifecycle_RecordsEachStepButNeverTheSecret()
    {
        using var client = factory.OperatorClient();
        var serial = Payloads.NewSerial();
        var created = await client.CreateSensorAsync(Payloads.Sensor(serial));
        var id = created.GetProperty("sensor").Id();
        await client.PutAsJsonAsync($"/api/v1/manage/sensors/{id}", Payloads.Sensor(serial, "camera"));
        var rotated = await (await client.PostAsync($"/api/v1/manage/sensors/{id}/credentials", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await client.DeleteAsync($"/api/v1/manage/sensors/{id}");

        var entries = await AuditAsync(client, "sensor", id);

        entries.Select(e => e.Str("action")).ShouldBe(["sensor.deleted", "sensor.secret_rotated", "sensor.updated", "sensor.created"]);
        entries.ForEach(ShouldBeByOperator);
        var text = string.Join("\n", entries.Select(e => e.ToString()));
        text.ShouldNotContain(created.Str("deviceSecret"));
        text.ShouldNotContain(rotated.Str("deviceSecret"));
    }

    [Fact]
    public async Task Audit_ZoneAndCsvImport_AreRecorded()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var zone = await client.CreateZoneAsync(lot.Id());
        await client.PostAsync($"/api/v1/manage/lots/{lot.Id()}/spaces/import", Payloads.Csv("label,type\nI1,standard\nI2,ev\n"));

        (await AuditAsync(client, "zone", zone.Id())).Select(e => e.Str("action")).ShouldBe(["zone.created"]);
        var import = (await AuditAsync(client, "lot", lot.Id())).First();
        import.Str("action").ShouldBe("spaces.imported");
        import.GetProperty("changes").GetProperty("created").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task Audit_RoleChangeByAdmin_RecordedInTargetTenantWithAdminAsActor()
    {
        var admin = await factory.CreateAdminAsync();
        var driver = await factory.RegisterDriverAsync();
        using var adminClient = factory.ClientFor(admin);

        await (await adminClient.PutAsJsonAsync($"/api/v1/manage/users/{driver.Id}/role", new { role = "operator", tenantId = factory.TenantId }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        using var client = factory.OperatorClient();
        var entry = (await AuditAsync(client, "user", driver.Id)).ShouldHaveSingleItem();
        entry.Str("action").ShouldBe("role.changed");
        entry.Str("actorEmail").ShouldBe(admin.Email);
        entry.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
        entry.GetProperty("changes").GetProperty("before").Str("role").ShouldBe("driver");
        entry.GetProperty("changes").GetProperty("after").Str("role").ShouldBe("operator");
    }

    [Fact]
    public async Task Audit_OtherTenant_SeesNoneOfTheseEntries()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync(Payloads.Lot("Private Lot"));
        var (otherTenant, other, otherOperator) = await factory.NewTenantWithOperatorAsync();
        using var _other = other;
        await other.CreateLotAsync(Payloads.Lot("Other's Lot"));

        (await AuditAsync(other, "lot", lot.Id())).ShouldBeEmpty();
        var all = (await other.GetJsonAsync("/api/v1/manage/audit?pageSize=500")).Items();
        all.ShouldNotBeEmpty();
        all.ShouldAllBe(e => e.GetProperty("tenantId").GetGuid() == otherTenant);
        all.ShouldAllBe(e => e.Str("actorEmail") == otherOperator.Email);
        // An operator cannot widen the scope with the admin-only tenantId parameter.
        (await other.GetJsonAsync($"/api/v1/manage/audit?tenantId={factory.TenantId}&entityType=lot&entityId={lot.Id()}")).Items().ShouldBeEmpty();
    }

    [Fact]
    public async Task Audit_AdminWithoutTenant_SeesEveryTenant()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);

        (await AuditAsync(adminClient, "lot", lot.Id())).Select(e => e.Str("action")).ShouldBe(["lot.created"]);
        (await adminClient.GetJsonAsync($"/api/v1/manage/audit?tenantId={Guid.NewGuid()}")).Items().ShouldBeEmpty();
    }

    [Fact]
    public async Task Audit_TimeWindowAndPaging_Filter()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var entry = (await AuditAsync(client, "lot", lot.Id())).Single();
        var at = entry.GetProperty("at").GetDateTimeOffset();
        string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

        (await client.GetJsonAsync($"/api/v1/manage/audit?entityId={lot.Id()}&from={Iso(at.AddSeconds(-1))}&to={Iso(at.AddSeconds(1))}")).Items().Count.ShouldBe(1);
        (await client.GetJsonAsync($"/api/v1/manage/audit?entityId={lot.Id()}&from={Iso(at.AddSeconds(1))}")).Items().ShouldBeEmpty();
        await (await client.GetAsync($"/api/v1/manage/audit?from={Iso(at)}&to={Iso(at.AddSeconds(-1))}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "to");
        var page = await client.GetJsonAsync("/api/v1/manage/audit?pageSize=1&page=1");
        page.Items().Count.ShouldBe(1);
        page.GetProperty("total").GetInt64().ShouldBeGreaterThan(1);
    }
}
