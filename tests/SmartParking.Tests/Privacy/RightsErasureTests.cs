using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Protection;
using SmartParking.Tests.Infrastructure;
using Xunit;
using static SmartParking.Tests.Privacy.RightsFactory;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Privacy;

/// <summary>Right to erasure: by the driver (re-authenticated) or an administrator, whole or not at all, leaving no trace.</summary>
public sealed class RightsErasureTests(RightsFactory factory) : IClassFixture<RightsFactory>
{
    private static Task<HttpResponseMessage> EraseAsync(HttpClient client, string? password, string? totp = null) =>
        client.PostAsJsonAsync("/api/v1/me/erase", new { password, totp });

    private static string RevenueUrl(DateTimeOffset now) => $"/api/v1/manage/reports/revenue?from={Uri.EscapeDataString(now.AddDays(-2).ToString("O"))}" +
                                 $"&to={Uri.EscapeDataString(now.AddDays(2).ToString("O"))}";

    [Fact]
    public async Task Erase_EndToEnd_NoColumnOfAnyTableHoldsTheEmailPlatesOrPhone_AndTheLedgerStillAddsUp()
    {
        var driver = await factory.ActiveDriverAsync();
        using var op = factory.OperatorClient();
        var ledgerBefore = await factory.LedgerTotalsAsync();
        var revenueUrl = RevenueUrl(factory.Clock.GetUtcNow());
        var revenueBefore = (await op.GetJsonAsync(revenueUrl)).GetRawText();
        (await factory.ColumnsContainingAsync(driver.SessionPlate)).ShouldNotBeEmpty("the scan finds what is there");

        await (await EraseAsync(driver.Client, driver.Account.Password)).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        foreach (var needle in new[] { driver.Account.Email, driver.SessionPlate, driver.ReservationPlate, driver.Phone })
            (await factory.ColumnsContainingAsync(needle)).ShouldBeEmpty($"no column may still hold {needle}");
        (await factory.LedgerTotalsAsync()).ShouldBe(ledgerBefore);
        (await op.GetJsonAsync(revenueUrl)).GetRawText().ShouldBe(revenueBefore);
        (await factory.ScalarAsync<long>("select count(*) from payments where driver_id = $1 and state = 'succeeded'", driver.Account.Id)).ShouldBe(2,
            "payments are kept for bookkeeping");
        (await factory.ScalarAsync<string>("select description from payments where reference_id = $1", driver.SessionId)).ShouldStartWith("session (erased-");
    }

    [Fact]
    public async Task Erase_TheSessionsRecordedEvents_SealedAtRest_NameThePseudonymNotThePlate()
    {
        var driver = await factory.ActiveDriverAsync();
        var protector = factory.Services.GetRequiredService<FieldProtector>();
        async Task<List<string>> EventsAsync() => [.. (await factory.ColumnAsync(
                "select encode(payload_encrypted, 'base64') from domain_events where aggregate_id = $1 and payload_encrypted is not null", driver.SessionId.ToString()))
            .Select(b => protector.Open(Convert.FromBase64String(b), EventPayloads.Field))];
        (await EventsAsync()).ShouldContain(e => e.Contains(driver.SessionPlate), "the session's events are sealed, with its plate");

        await (await EraseAsync(driver.Client, driver.Account.Password)).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        var events = await EventsAsync();
        events.ShouldNotBeEmpty();
        events.ShouldAllBe(e => !e.Contains(driver.SessionPlate) && e.Contains("ANON-"));
    }

    [Fact]
    public async Task Erase_AfterErasure_TheEmailAndPlatesCannotBeFoundAnywhere()
    {
        var driver = await factory.ActiveDriverAsync();
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);
        using var op = factory.OperatorClient();

        await (await EraseAsync(driver.Client, driver.Account.Password)).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        using var anonymous = factory.Anonymous();
        (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Account.Email, password = driver.Account.Password }))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await adminClient.GetJsonAsync($"/api/v1/manage/users?q={Uri.EscapeDataString(driver.Account.Email)}")).Items().ShouldBeEmpty();
        (await adminClient.PostAsJsonAsync("/api/v1/manage/privacy/data-export", new { email = driver.Account.Email })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{driver.SessionPlate}")).GetProperty("paid").GetBoolean().ShouldBeFalse();
        (await op.GetJsonAsync($"/api/v1/manage/reservations?plate={driver.ReservationPlate}")).Items().ShouldBeEmpty();
        foreach (var table in new[] { "reservations", "sessions", "payments" })
        {
            var export = await (await op.GetAsync($"/api/v1/manage/exports/{table}?format=csv")).Content.ReadAsStringAsync();
            export.ShouldNotContain(driver.SessionPlate);
            export.ShouldNotContain(driver.ReservationPlate);
            export.ShouldNotContain(driver.Account.Email);
        }
        // The person may come back: the address is free for a new account.
        (await anonymous.PostAsJsonAsync("/api/v1/auth/register", new { email = driver.Account.Email, password = Accounts.Password }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Erase_TheirAuditEntriesShowTheErasedAddress_AndTheOldOneFindsNone()
    {
        var driver = await factory.ActiveDriverAsync();
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);
        // Staff looked the driver up: the export's filters, sealed in the audit log, name the address.
        (await adminClient.GetAsync($"/api/v1/manage/exports/users?format=csv&q={Uri.EscapeDataString(driver.Account.Email)}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await adminClient.GetJsonAsync("/api/v1/manage/audit?action=table.exported&entityId=users&pageSize=100")).Items()
            .ShouldContain(e => e.GetProperty("changes").Str("filters").Contains(driver.Account.Email));

        await (await EraseAsync(driver.Client, driver.Account.Password)).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        // Recorded with the driver as the actor, then erased with everything else.
        var erased = (await adminClient.GetJsonAsync($"/api/v1/manage/audit?action=privacy.account_erased&entityId={driver.Account.Id}")).Items().ShouldHaveSingleItem();
        erased.Str("actorEmail").ShouldEndWith("@erased.invalid");
        (await adminClient.GetJsonAsync($"/api/v1/manage/audit?q={Uri.EscapeDataString(driver.Account.Email)}")).Items().ShouldBeEmpty();
        (await adminClient.GetJsonAsync("/api/v1/manage/audit?action=table.exported&entityId=users&pageSize=100")).GetRawText()
            .ShouldNotContain(driver.Account.Email, Case.Insensitive);
    }

    [Fact]
    public async Task Erase_OpenReservationAndRunningSession_EndedUnderTheLotsRulesFirst()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(rate: 12m);
        var (account, client) = await factory.DriverAsync();
        var reservation = await BookPaidAsync(client, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow().AddHours(5), TimeSpan.FromHours(2), NewPlate()));
        var session = (await (await client.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = NewPlate(), durationMinutes = 60 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();

        await (await EraseAsync(client, account.Password)).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        (await factory.ScalarAsync<string>("select status from reservations where id = $1", reservation)).ShouldBe("cancelled");
        (await factory.ScalarAsync<decimal>("select coalesce(sum(r.amount), 0) from refunds r join payments p on p.id = r.payment_id where p.reference_id = $1 and r.state = 'succeeded'",
            reservation)).ShouldBe(24m, "cancelled before its start: refunded in full, as the lot's default rules say");
        (await factory.ScalarAsync<string>("select status from meter_sessions where id = $1", session)).ShouldBe("stopped");
        (await factory.PaidAsync(session)).Sum().ShouldBeGreaterThan(0m, "the minutes used are charged");
    }

    [Fact]
    public async Task Erase_WrongPassword_ProblemNamesPasswordAndNothingChanges()
    {
        var driver = await factory.ActiveDriverAsync();

        var response = await EraseAsync(driver.Client, "Not-The-Password-1");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "password");
        await (await driver.Client.GetAsync("/api/v1/auth/me")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await factory.ScalarAsync<bool>("select erased_at is null and email_encrypted is not null from users where id = $1", driver.Account.Id)).ShouldBeTrue();
    }

    [Fact]
    public async Task Erase_NoPassword_ProblemNamesPassword()
    {
        var driver = await factory.ActiveDriverAsync();

        await (await EraseAsync(driver.Client, null)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "password");
    }

    [Fact]
    public async Task Erase_TwoFactorEnrolled_NeedsTheCodeToo()
    {
        var driver = await factory.ActiveDriverAsync();
        await Accounts.EnrolTotpAsync(factory, driver.Account);
        using var client = factory.ClientFor(driver.Account);

        await (await EraseAsync(client, driver.Account.Password)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "totp");
        await (await EraseAsync(client, driver.Account.Password, "000000")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "totp");
        (await factory.ScalarAsync<long>("select count(*) from privacy_erasures where user_id = $1", driver.Account.Id)).ShouldBe(0);

        await (await EraseAsync(client, driver.Account.Password, TotpGenerator.Next(driver.Account.TotpKey!, factory.Time))).ShouldHaveStatusAsync(HttpStatusCode.NoContent);
        (await factory.ColumnsContainingAsync(driver.Account.Email)).ShouldBeEmpty();
    }

    [Fact]
    public async Task AdminErase_DriverErasedAndAudited_OperatorsMayNot()
    {
        var driver = await factory.ActiveDriverAsync();
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);
        using var op = factory.OperatorClient();

        (await op.DeleteAsync($"/api/v1/manage/privacy/accounts/{driver.Account.Id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await adminClient.DeleteAsync($"/api/v1/manage/privacy/accounts/{driver.Account.Id}")).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        (await factory.ColumnsContainingAsync(driver.SessionPlate)).ShouldBeEmpty();
        (await factory.ColumnAsync("select actor_id::text from audit_log where action = 'privacy.account_erased' and entity_id = $1", driver.Account.Id.ToString()))
            .ShouldBe([admin.Id.ToString()]);
        (await factory.ScalarAsync<string>("select requested_by from privacy_erasures where user_id = $1", driver.Account.Id)).ShouldBe("admin");
        await (await adminClient.DeleteAsync($"/api/v1/manage/privacy/accounts/{driver.Account.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AdminErase_FormerOperator_TheirAddressInTheAuditOfTheirAccountIsReplacedToo()
    {
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);
        var email = Accounts.NewEmail("former-operator");
        var created = await (await adminClient.PostAsJsonAsync($"/api/v1/manage/tenants/{factory.TenantId}/operators", new { email, displayName = "Former Operator" }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        var id = created.GetProperty("user").Id();
        await (await adminClient.PutAsJsonAsync($"/api/v1/manage/users/{id}/role", new { role = "driver" })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        await (await adminClient.DeleteAsync($"/api/v1/manage/privacy/accounts/{id}")).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        var entries = (await adminClient.GetJsonAsync($"/api/v1/manage/audit?entityType=user&entityId={id}&pageSize=100")).Items();
        entries.Select(e => e.Str("action")).ShouldContain("operator.created");
        entries.Single(e => e.Str("action") == "operator.created").GetProperty("changes").Str("email").ShouldEndWith("@erased.invalid");
        string.Join("\n", entries.Select(e => e.GetRawText())).ShouldNotContain(email, Case.Insensitive);
    }

    [Fact]
    public async Task AdminErase_StaffAccount_409()
    {
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);

        await (await adminClient.DeleteAsync($"/api/v1/manage/privacy/accounts/{factory.Operator.Id}")).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Erase_TheSignInEnds_RefreshTokensAreGone()
    {
        var driver = await factory.ActiveDriverAsync();

        await (await EraseAsync(driver.Client, driver.Account.Password)).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        using var anonymous = factory.Anonymous();
        (await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = driver.Account.Tokens.RefreshToken })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await factory.ScalarAsync<long>("select count(*) from refresh_tokens where user_id = $1", driver.Account.Id)).ShouldBe(0);
    }
}

/// <summary>A failure in one holder mid-erasure: the account is left exactly as it was.</summary>
public sealed class RightsErasureFailureTests(FailingHolderFactory factory) : IClassFixture<FailingHolderFactory>
{
    [Fact]
    public async Task Erase_OneHolderFails_AccountFullyUntouched()
    {
        var driver = await factory.ActiveDriverAsync();
        var before = Without(await ArchiveAsync(await driver.Client.GetAsync("/api/v1/me/data-export")));

        var response = await driver.Client.PostAsJsonAsync("/api/v1/me/erase", new { password = driver.Account.Password });

        await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        var after = Without(await ArchiveAsync(await driver.Client.GetAsync("/api/v1/me/data-export")));
        after.ShouldBe(before, "every holder's rows are as they were");
        (await factory.ScalarAsync<bool>("select plate_encrypted is not null from meter_sessions where id = $1", driver.SessionId)).ShouldBeTrue();
        (await factory.ScalarAsync<long>("select count(*) from privacy_erasures where user_id = $1", driver.Account.Id)).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(*) from audit_log where action = 'privacy.account_erased' and entity_id = $1", driver.Account.Id.ToString())).ShouldBe(0);
        using var anonymous = factory.Anonymous();
        await Accounts.LoginAsync(anonymous, driver.Account.Email, driver.Account.Password);
    }

    /// <summary>The archive's tables without what changes from one download to the next (when it was made, sign-ins).</summary>
    private static string Without(IReadOnlyDictionary<string, string> archive) =>
        string.Join("\n", archive.Where(e => e.Key != "data.json" && e.Key != "identity.sign_ins.csv" && e.Key != "identity.account.csv").OrderBy(e => e.Key)
            .Select(e => e.Key + "\n" + e.Value));
}
