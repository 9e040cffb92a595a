using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Protection;
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
    public async Task Audit_ActorEmailSealedAtRest_ShownAndExportedOpened_FoundByTheWholeAddress()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var email = factory.Operator.Email;
        string Search(string q) => $"/api/v1/manage/audit?q={Uri.EscapeDataString(q)}&entityId={lot.Id()}";

        (await factory.ScalarAsync<string>("select a::text from audit_log a where entity_id = $1", lot.Id().ToString())).ShouldNotContain(email, Case.Insensitive);
        (await factory.ScalarAsync<bool>("select actor_email is null and actor_email_encrypted is not null from audit_log where entity_id = $1", lot.Id().ToString()))
            .ShouldBeTrue();

        (await AuditAsync(client, "lot", lot.Id())).ShouldHaveSingleItem().Str("actorEmail").ShouldBe(email);
        (await client.GetJsonAsync(Search(email.ToUpperInvariant()))).Items().ShouldHaveSingleItem().Str("action").ShouldBe("lot.created");
        // Only a whole address has a blind index; the action is still searched as text.
        (await client.GetJsonAsync(Search(email[..email.IndexOf('@')]))).Items().ShouldBeEmpty();
        (await client.GetJsonAsync(Search("LOT.CREAT"))).Items().ShouldHaveSingleItem();
        var export = await client.GetAsync($"/api/v1/manage/exports/audit?format=csv&entityId={lot.Id()}");
        export.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await export.Content.ReadAsStringAsync()).ShouldContain(email);
    }

    [Fact]
    public async Task Audit_ActorEmailWrittenBeforeEncryption_SealedByTheSweep_FoundBeforeAndAfter_SystemStaysInClear()
    {
        using var client = factory.OperatorClient();
        var lot = await client.CreateLotAsync();
        var id = lot.Id().ToString();
        var email = factory.Operator.Email;
        string Search(string q) => $"/api/v1/manage/audit?q={Uri.EscapeDataString(q)}&entityId={id}";
        // As rows were before migration 0047: the address in clear, nothing sealed; and an entry by the system.
        await factory.ExecuteAsync("update audit_log set actor_email = $1, actor_email_encrypted = null, actor_email_index = null where entity_id = $2", email, id);
        await factory.ExecuteAsync("insert into audit_log (tenant_id, actor_email, action, entity_type, entity_id) values ($1, 'system', 'lot.checked', 'lot', $2)",
            factory.TenantId, id);
        (await client.GetJsonAsync(Search(email))).Items().ShouldHaveSingleItem().Str("actorEmail").ShouldBe(email);

        factory.Services.GetRequiredService<ProtectionSweep>().Wake();
        await Poll.UntilAsync(() => factory.ScalarAsync<long>("select count(*) from audit_log where entity_id = $1 and actor_email <> 'system'", id), n => n == 0,
            IngestKit.Eventually, "the sweep to seal the actor's address");

        (await factory.ScalarAsync<string>("select string_agg(a::text, '') from audit_log a where entity_id = $1", id)).ShouldNotContain(email, Case.Insensitive);
        (await client.GetJsonAsync(Search(email))).Items().ShouldHaveSingleItem().Str("actorEmail").ShouldBe(email);
        var bySystem = (await client.GetJsonAsync(Search("system"))).Items().ShouldHaveSingleItem();
        bySystem.Str("action").ShouldBe("lot.checked");
        bySystem.Str("actorEmail").ShouldBe("system");
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
