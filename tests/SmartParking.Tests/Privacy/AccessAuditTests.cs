using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Protection;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Privacy;

/// <summary>Staff reading personal data leaves an audit entry, as a change does: who, when, what and how much.</summary>
public sealed class AccessAuditTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static string NewPlate() => "AA" + Random.Shared.Next(10_000, 99_999);

    /// <summary>A plate that cannot turn up by chance in a sealed value's hex digits.</summary>
    private static string NewSealedPlate() => "XZ" + Random.Shared.Next(10_000, 99_999);

    private async Task<List<JsonElement>> AuditAsync(HttpClient client, string action, string entityId) =>
        (await client.GetJsonAsync($"/api/v1/manage/audit?action={action}&entityId={Uri.EscapeDataString(entityId)}&pageSize=100")).Items().ToList();

    [Fact]
    public async Task EnforcementPlateLookup_AuditedWithTheOfficerAndTheAnswer()
    {
        var (lotId, _) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var plate = NewPlate();
        await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate, durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        using var op = factory.OperatorClient();

        await (await op.GetAsync($"/api/v1/manage/enforcement/plates/{plate.ToLowerInvariant()}?lotId={lotId}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await op.GetAsync("/api/v1/manage/enforcement/plates/AA-0")).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var entry = (await AuditAsync(op, "plate.looked_up", plate)).ShouldHaveSingleItem();
        entry.Str("entityType").ShouldBe("plate");
        entry.Str("actorEmail").ShouldBe(factory.Operator.Email);
        entry.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
        entry.GetProperty("changes").GetProperty("paid").GetBoolean().ShouldBeTrue();
        entry.GetProperty("changes").Str("paidBy").ShouldBe("session");
        entry.GetProperty("changes").GetProperty("lotId").GetGuid().ShouldBe(lotId);
        // A plate that is not paid is a lookup all the same.
        (await AuditAsync(op, "plate.looked_up", "AA0")).ShouldHaveSingleItem().GetProperty("changes").GetProperty("paid").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task StaffTablesFilteredByPlate_Audited_UnfilteredPagesAreNot()
    {
        var plate = NewPlate();
        using var op = factory.OperatorClient();

        await (await op.GetAsync($"/api/v1/manage/sessions?plate={plate}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await op.GetAsync($"/api/v1/manage/reservations?plate={plate}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await op.GetAsync("/api/v1/manage/sessions")).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var entries = await AuditAsync(op, "plate.searched", plate);
        entries.Select(e => e.GetProperty("changes").Str("table")).Order().ShouldBe(["reservations", "sessions"]);
        entries.ShouldAllBe(e => e.Str("actorEmail") == factory.Operator.Email);
    }

    [Fact]
    public async Task ExportOfATableWithPersonalData_AuditedWithFormatRowsAndFilters_EmptyAndOtherExportsAreNot()
    {
        var (lotId, _) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = NewPlate(), durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = NewPlate(), durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var (_, op, account) = await factory.NewTenantWithOperatorAsync();
        using var home = factory.OperatorClient();

        (await home.GetAsync($"/api/v1/manage/exports/sessions?format=csv&lotId={lotId}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await home.GetAsync("/api/v1/manage/exports/users?format=xlsx")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await home.GetAsync("/api/v1/manage/exports/lots?format=csv")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // An empty file shows no one's data.
        (await home.GetAsync($"/api/v1/manage/exports/sessions?format=csv&lotId={Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await op.GetAsync("/api/v1/manage/exports/users?format=csv")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var sessions = (await AuditAsync(home, "table.exported", "sessions")).ShouldHaveSingleItem();
        sessions.Str("actorEmail").ShouldBe(factory.Operator.Email);
        sessions.GetProperty("changes").Str("format").ShouldBe("csv");
        sessions.GetProperty("changes").GetProperty("rows").GetInt32().ShouldBe(2);
        sessions.GetProperty("changes").Str("filters").ShouldContain(lotId.ToString());
        (await AuditAsync(home, "table.exported", "users")).ShouldHaveSingleItem().GetProperty("changes").Str("format").ShouldBe("xlsx");
        (await AuditAsync(home, "table.exported", "lots")).ShouldBeEmpty();
        // The other tenant's export is in its own audit log, not in this one's.
        (await AuditAsync(op, "table.exported", "users")).ShouldHaveSingleItem().Str("actorEmail").ShouldBe(account.Email);
    }

    [Fact]
    public async Task PlatesOfStaffReadsAndExportFilters_SealedAtRest_ShownOpened_FoundByThePlate()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var plate = NewSealedPlate();
        await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), TimeSpan.FromHours(1), plate));
        using var op = factory.OperatorClient();

        await (await op.GetAsync($"/api/v1/manage/enforcement/plates/{plate}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await op.GetAsync($"/api/v1/manage/sessions?plate={plate}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await op.GetAsync($"/api/v1/manage/exports/reservations?format=csv&plate={plate}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await factory.ScalarAsync<long>("select count(*) from audit_log a where strpos(upper(a::text), $1) > 0", plate)).ShouldBe(0);
        // Found by the plate however it is typed, and shown as it was looked up.
        var lookup = (await AuditAsync(op, "plate.looked_up", plate[..2].ToLowerInvariant() + "-" + plate[2..])).ShouldHaveSingleItem();
        lookup.Str("entityId").ShouldBe(plate);
        (await AuditAsync(op, "plate.searched", plate)).Select(e => e.Str("entityId")).Distinct().ShouldBe([plate]);
        var exports = await AuditAsync(op, "table.exported", "reservations");
        exports.ShouldContain(e => e.GetProperty("changes").Str("filters").Contains("plate=" + plate));
        (await (await op.GetAsync($"/api/v1/manage/exports/audit?format=csv&entityId={plate}")).Content.ReadAsStringAsync()).ShouldContain(plate);
        (await factory.ScalarAsync<long>("select count(*) from audit_log a where strpos(upper(a::text), $1) > 0", plate)).ShouldBe(0, "nor the audit's own export");
    }

    [Fact]
    public async Task PlatesAndFiltersWrittenBeforeEncryption_SealedByTheSweep_FoundBeforeAndAfter()
    {
        var plate = NewSealedPlate();
        using var op = factory.OperatorClient();
        // As entries were before migration 0048: the plate and the export's filters in clear.
        await factory.ExecuteAsync("""
            insert into audit_log (tenant_id, actor_email, action, entity_type, entity_id, changes) values
                ($1, 'system', 'plate.looked_up', 'plate', $2, '{"paid": false}'),
                ($1, 'system', 'table.exported', 'table', 'reservations', jsonb_build_object('format', 'csv', 'rows', 1, 'filters', 'plate=' || $2))
            """, factory.TenantId, plate);
        (await AuditAsync(op, "plate.looked_up", plate)).ShouldHaveSingleItem();

        factory.Services.GetRequiredService<ProtectionSweep>().Wake();
        await Poll.UntilAsync(() => factory.ScalarAsync<long>("select count(*) from audit_log a where strpos(upper(a::text), $1) > 0", plate), n => n == 0,
            IngestKit.Eventually, "the sweep to seal the plate and the filters");

        (await AuditAsync(op, "plate.looked_up", plate)).ShouldHaveSingleItem().Str("entityId").ShouldBe(plate);
        (await AuditAsync(op, "table.exported", "reservations")).ShouldContain(e => e.GetProperty("changes").Str("filters") == "plate=" + plate);
    }
}
