using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Protection;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Protection;

/// <summary>
/// Personal fields reach the database only sealed (checked on the raw columns), while the API shows them as before and
/// equality lookups (sign-in by e-mail, plate enforcement, user search) find them through their blind indexes.
/// </summary>
public sealed class EncryptedAtRestTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static bool Holds(byte[]? sealedValue, string clear) =>
        sealedValue is not null && Encoding.UTF8.GetString(sealedValue).Contains(clear, StringComparison.OrdinalIgnoreCase);

    private async Task<byte[]?> BytesAsync(string sql, params object?[] args)
    {
        var value = await factory.ScalarAsync<object>(sql, args);
        return value is DBNull ? null : (byte[])value;
    }

    private async Task<bool> IsNullAsync(string sql, params object?[] args) => await factory.ScalarAsync<object>(sql, args) is DBNull;

    [Fact]
    public async Task EmailAndTotpSecret_StoredSealed_SignInByEmailAndUserSearchStillWork()
    {
        var account = factory.Operator;

        (await IsNullAsync("select email from users where id = $1", account.Id)).ShouldBeTrue();
        (await IsNullAsync("select normalized_email from users where id = $1", account.Id)).ShouldBeTrue();
        (await IsNullAsync("select authenticator_key from users where id = $1", account.Id)).ShouldBeTrue();
        var email = await BytesAsync("select email_encrypted from users where id = $1", account.Id);
        var totp = await BytesAsync("select authenticator_key_encrypted from users where id = $1", account.Id);
        email.ShouldNotBeNull();
        Holds(email, account.Email).ShouldBeFalse();
        totp.ShouldNotBeNull();
        Holds(totp, account.TotpKey!).ShouldBeFalse();

        using var anonymous = factory.Anonymous();
        var tokens = await Accounts.LoginWithTotpAsync(factory, anonymous, account);
        using var signedIn = factory.ClientWithToken(tokens.AccessToken);
        var me = await signedIn.GetJsonAsync("/api/v1/auth/me");
        me.Str("email").ShouldBe(account.Email);
        var found = await signedIn.GetJsonAsync($"/api/v1/manage/users?q={Uri.EscapeDataString(account.Email.ToUpperInvariant())}");
        found.GetProperty("items").EnumerateArray().Select(u => u.Str("email")).ShouldBe([account.Email]);
    }

    [Fact]
    public async Task Plates_StoredSealed_ApiShowsThem_AndEnforcementFindsThem()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var sessionPlate = "EN" + Random.Shared.Next(10_000, 99_999);
        var reservedPlate = "RS" + Random.Shared.Next(10_000, 99_999);
        var session = (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = sessionPlate, durationMinutes = 30 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        var reservation = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), TimeSpan.FromHours(1), reservedPlate));

        (await IsNullAsync("select plate from meter_sessions where id = $1", session)).ShouldBeTrue();
        Holds(await BytesAsync("select plate_encrypted from meter_sessions where id = $1", session), sessionPlate).ShouldBeFalse();
        (await IsNullAsync("select plate from reservations where id = $1", reservation)).ShouldBeTrue();
        Holds(await BytesAsync("select plate_encrypted from reservations where id = $1", reservation), reservedPlate).ShouldBeFalse();

        (await driver.GetJsonAsync($"/api/v1/sessions/{session}")).Str("plate").ShouldBe(sessionPlate);
        (await driver.GetJsonAsync($"/api/v1/reservations/{reservation}")).Str("plate").ShouldBe(reservedPlate);
        using var op = factory.OperatorClient();
        var bySession = await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{sessionPlate[..2].ToLowerInvariant()} {sessionPlate[2..]}");
        bySession.Str("paidBy").ShouldBe("session");
        bySession.Id().ShouldBe(session);
        (await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{reservedPlate}")).Id().ShouldBe(reservation);
        var listed = await op.GetJsonAsync($"/api/v1/manage/sessions?plate={sessionPlate}");
        listed.GetProperty("items").EnumerateArray().Select(s => s.Str("plate")).ShouldBe([sessionPlate]);
        // One running session per plate and lot holds on the blind index.
        (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = sessionPlate.ToLowerInvariant(), durationMinutes = 30 })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task PhoneNumber_StoredSealed_PreferencesShowIt()
    {
        var (account, driver) = await factory.DriverAsync();

        await (await driver.PutAsJsonAsync("/api/v1/me/notification-preferences", new { phone = "+4520304050" })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await IsNullAsync("select phone from notification_preferences where driver_id = $1", account.Id)).ShouldBeTrue();
        Holds(await BytesAsync("select phone_encrypted from notification_preferences where driver_id = $1", account.Id), "4520304050").ShouldBeFalse();
        (await driver.GetJsonAsync("/api/v1/me/notification-preferences")).Str("phone").ShouldBe("+4520304050");
    }

    [Fact]
    public async Task ChatTranscripts_StoredSealed_TheOperatorStillReadsTheHandover()
    {
        var (lotId, _) = await factory.OpenLotAsync();
        var (account, driver) = await factory.DriverAsync();
        await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "CH 12 345", durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        // A signed-in driver's conversation is keyed by their account.
        var sender = account.Id.ToString();
        await (await driver.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message = "hello there, my secret word is marmalade" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await driver.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message = "I want to talk to a real person please" })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await IsNullAsync("select turns from chat_conversations where sender = $1", sender)).ShouldBeTrue();
        var sealedTurns = await BytesAsync("select turns_encrypted from chat_conversations where sender = $1", sender);
        sealedTurns.ShouldNotBeNull();
        Holds(sealedTurns, "marmalade").ShouldBeFalse();
        (await factory.ScalarAsync<long>("select count(*) from chat_handoff_messages where text is not null or position('marmalade'::bytea in text_encrypted) > 0"))
            .ShouldBe(0);

        using var op = factory.OperatorClient();
        var queue = await op.GetJsonAsync("/api/v1/chat/handoffs");
        var handoff = queue.EnumerateArray().Single(h => h.Str("lastDriverMessage") == "I want to talk to a real person please").Id();
        var thread = await op.GetJsonAsync($"/api/v1/chat/handoffs/{handoff}");
        thread.GetProperty("messages")[0].Str("text").ShouldBe("hello there, my secret word is marmalade");
    }

    [Fact]
    public async Task RowsWrittenBeforeEncryption_AreSealedByTheSweep_AndFoundBeforeAndAfter()
    {
        var (account, _) = await factory.DriverAsync();
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0);
        var (_, driver) = await factory.DriverAsync();
        var plate = "LG" + Random.Shared.Next(10_000, 99_999);
        var session = (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate, durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        // As the rows were before migration 0043: clear text, nothing sealed, no index.
        await factory.ExecuteAsync("update users set email = $1, normalized_email = upper($1), email_encrypted = null, email_index = null where id = $2", account.Email, account.Id);
        await factory.ExecuteAsync("update meter_sessions set plate = $1, plate_encrypted = null, plate_index = null where id = $2", plate, session);
        using var anonymous = factory.Anonymous();
        using var op = factory.OperatorClient();

        await Accounts.LoginAsync(anonymous, account.Email, account.Password);
        (await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{plate}")).Id().ShouldBe(session);

        factory.Services.GetRequiredService<ProtectionSweep>().Wake();
        await Poll.UntilAsync(() => IsNullAsync("select plate from meter_sessions where id = $1", session), cleared => cleared, IngestKit.Eventually, "the sweep to seal the plate");
        await Poll.UntilAsync(() => IsNullAsync("select email from users where id = $1", account.Id), cleared => cleared, IngestKit.Eventually, "the sweep to seal the e-mail");

        (await IsNullAsync("select normalized_email from users where id = $1", account.Id)).ShouldBeTrue();
        (await IsNullAsync("select email_index from users where id = $1", account.Id)).ShouldBeFalse();
        await Accounts.LoginAsync(anonymous, account.Email.ToUpperInvariant(), account.Password);
        (await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{plate}")).Id().ShouldBe(session);
        (await driver.GetJsonAsync($"/api/v1/sessions/{session}")).Str("plate").ShouldBe(plate);
    }

    [Fact]
    public async Task DataProtectionKeyRing_StoredWithItsSecretSealed()
    {
        using var anonymous = factory.Anonymous();
        // The sign-in page's antiforgery token makes the key ring's first key.
        (await anonymous.GetAsync("/account/login")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var keys = await factory.ColumnAsync("select xml from data_protection_keys");
        keys.ShouldNotBeEmpty();
        keys.ShouldAllBe(xml => xml.Contains("<sealedSecret keyVersion=") && !xml.Contains("<masterKey"));
    }
}
