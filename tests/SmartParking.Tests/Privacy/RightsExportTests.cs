using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;
using Xunit;
using static SmartParking.Tests.Privacy.RightsFactory;

namespace SmartParking.Tests.Privacy;

/// <summary>Right of access and portability: the driver's own archive, and staff's for a data-subject request.</summary>
public sealed class RightsExportTests(RightsFactory factory) : IClassFixture<RightsFactory>
{
    [Fact]
    public async Task OwnExport_ActiveDriver_ZipWithDataJsonAndACsvPerTable_HoldingEverythingAboutThem()
    {
        var driver = await factory.ActiveDriverAsync();

        var archive = await ArchiveAsync(await driver.Client.GetAsync("/api/v1/me/data-export"));

        string[] tables =
        [
            "identity.account", "identity.sign_ins", "reservations.reservations", "sessions.meter_sessions", "payments.payment_methods", "payments.payments",
            "payments.refunds", "notifications.preferences", "notifications.messages", "chat.links", "chat.conversations", "chat.handoff_messages",
            "privacy.consents",
        ];
        foreach (var table in tables) archive.Keys.ShouldContain(table + ".csv");
        archive.Keys.Count(k => k.EndsWith(".csv", StringComparison.Ordinal)).ShouldBe(archive.Count - 1, "data.json and one CSV per table, nothing else");
        Rows(archive, "identity.account").Single().Str("email").ShouldBe(driver.Account.Email);
        Rows(archive, "sessions.meter_sessions").Single().Str("plate").ShouldBe(driver.SessionPlate);
        Rows(archive, "reservations.reservations").Single().Str("plate").ShouldBe(driver.ReservationPlate);
        Rows(archive, "payments.payments").Count.ShouldBe(2, "the session's charge and the reservation's");
        Rows(archive, "payments.refunds").Single().Str("state").ShouldBe("succeeded");
        Rows(archive, "notifications.preferences").Single().Str("phone").ShouldBe(driver.Phone);
        Rows(archive, "chat.links").Single().Str("sender").ShouldBe(driver.Phone);
        Rows(archive, "chat.conversations").Count.ShouldBe(2, "the web widget's and the linked WhatsApp number's");
        Rows(archive, "privacy.consents").Select(c => c.Str("purpose")).Order().ShouldBe(["analytics", "marketing_notifications"]);
        archive["sessions.meter_sessions.csv"].ShouldContain(driver.SessionPlate);
        archive["identity.account.csv"].Split('\n')[0].ShouldContain("email");
    }

    [Fact]
    public async Task OwnExport_AnotherDriversData_NeverIncluded()
    {
        var first = await factory.ActiveDriverAsync();
        var second = await factory.ActiveDriverAsync();

        var archive = await ArchiveAsync(await second.Client.GetAsync("/api/v1/me/data-export"));

        archive["data.json"].ShouldNotContain(first.Account.Email);
        archive["data.json"].ShouldNotContain(first.SessionPlate);
        archive["data.json"].ShouldNotContain(first.Phone);
    }

    [Fact]
    public async Task StaffExport_OperatorOfTheDriversTenant_GetsTheArchiveAndTheRequestIsAudited()
    {
        var driver = await factory.ActiveDriverAsync();
        using var op = factory.OperatorClient();

        var archive = await ArchiveAsync(await op.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { email = driver.Account.Email.ToUpperInvariant() }));

        Rows(archive, "identity.account").Single().Str("email").ShouldBe(driver.Account.Email);
        Rows(archive, "sessions.meter_sessions").Single().Str("plate").ShouldBe(driver.SessionPlate);
        var audit = await factory.ColumnAsync(
            "select actor_id::text || '|' || coalesce(tenant_id::text, '') from audit_log where action = 'privacy.data_exported' and entity_type = 'user' and entity_id = $1",
            driver.Account.Id.ToString());
        audit.ShouldBe([$"{factory.Operator.Id}|{factory.TenantId}"]);
    }

    [Fact]
    public async Task StaffExport_Operator_GetsOnlyTheirTenantsRows_NothingTheDriverHasNoTenantFor()
    {
        var driver = await factory.ActiveDriverAsync();
        var (otherTenant, otherOperator, _) = await factory.NewTenantWithOperatorAsync();
        var lot = Payloads.Lot("Elsewhere");
        lot["openingHours"] = new System.Text.Json.Nodes.JsonArray();
        var otherLot = (await otherOperator.CreateLotAsync(lot)).Id();
        await (await driver.Client.PostAsJsonAsync("/api/v1/sessions", new { lotId = otherLot, plate = NewPlate(), durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        using var op = factory.OperatorClient();

        var archive = await ArchiveAsync(await op.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { userId = driver.Account.Id }));

        Rows(archive, "sessions.meter_sessions").Single().Str("plate").ShouldBe(driver.SessionPlate, "the other tenant's session is not this operator's");
        Rows(archive, "payments.payment_methods").ShouldBeEmpty();
        Rows(archive, "identity.sign_ins").ShouldBeEmpty();
        Rows(archive, "notifications.preferences").ShouldBeEmpty();
        Rows(archive, "chat.links").ShouldBeEmpty();
        archive["data.json"].ShouldNotContain(otherTenant.ToString());
    }

    [Fact]
    public async Task StaffExport_OperatorOfAnUnrelatedTenant_404AndNothingAudited()
    {
        var driver = await factory.ActiveDriverAsync();
        var (_, stranger, _) = await factory.NewTenantWithOperatorAsync();

        var byEmail = await stranger.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { email = driver.Account.Email });
        var byId = await stranger.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { userId = driver.Account.Id });

        await byEmail.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await byId.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'privacy.data_exported' and entity_id = $1", driver.Account.Id.ToString())).ShouldBe(0);
    }

    [Fact]
    public async Task StaffExport_Admin_AnyDriverWholeArchive()
    {
        var driver = await factory.ActiveDriverAsync();
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);

        var archive = await ArchiveAsync(await client.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { userId = driver.Account.Id }));

        Rows(archive, "notifications.preferences").Single().Str("phone").ShouldBe(driver.Phone);
        Rows(archive, "chat.links").Count.ShouldBe(1);
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'privacy.data_exported' and actor_id = $1 and entity_id = $2 and tenant_id is null",
            admin.Id, driver.Account.Id.ToString())).ShouldBe(1);
    }

    [Fact]
    public async Task StaffExport_OfAStaffAccount_HoldsWhatTheyDidInTheAuditLog_Opened()
    {
        var (_, op, account) = await factory.NewTenantWithOperatorAsync();
        using var _op = op;
        var plate = NewPlate();
        await (await op.GetAsync($"/api/v1/manage/enforcement/plates/{plate}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var admin = await factory.CreateAdminAsync();
        using var client = factory.ClientFor(admin);

        var archive = await ArchiveAsync(await client.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { userId = account.Id }));

        var lookup = Rows(archive, "identity.audit_log").Single(r => r.Str("action") == "plate.looked_up");
        lookup.Str("actor_email").ShouldBe(account.Email);
        lookup.Str("entity_id").ShouldBe(plate);
    }

    [Theory]
    [InlineData("{}", "userId")]
    [InlineData("""{"userId":"0190f1c2-0000-7000-8000-000000000000","email":"a@example.com"}""", "userId")]
    public async Task StaffExport_NeitherOrBothOfIdAndEmail_ProblemNamesTheField(string body, string field)
    {
        using var op = factory.OperatorClient();

        var response = await op.PostAsync("/api/v1/manage/privacy/data-export", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task StaffExport_Driver_Forbidden()
    {
        var driver = await factory.ActiveDriverAsync();

        var response = await driver.Client.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { userId = driver.Account.Id });

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task OwnExport_NotSignedIn_401()
    {
        using var anonymous = factory.Anonymous();

        (await anonymous.GetAsync("/api/v1/me/data-export")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
