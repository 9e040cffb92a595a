using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Chat;
using SmartParking.Server.Modules.Chat.Handoff;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Protection;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Privacy;

/// <summary>A driver who has used every part of the platform, with what identifies them.</summary>
public sealed record ActiveDriver(TestAccount Account, HttpClient Client, Guid LotId, string SessionPlate, string ReservationPlate, string Phone,
    Guid SessionId, Guid ReservationId);

/// <summary>A booking server (lots, sandbox payments, a movable clock) with helpers for data exports and erasures.</summary>
public class RightsFactory : BookingFactory
{
    private static int _plates = Random.Shared.Next(100_000, 900_000);

    /// <summary>A plate no other test of the run uses.</summary>
    public static string NewPlate() => "PV" + Interlocked.Increment(ref _plates);

    /// <summary>
    /// A driver with a stopped (charged) meter session, a paid reservation they cancelled (refunded), a phone number in
    /// their notification preferences, consents and a chat link code: personal data in every module, nothing open.
    /// </summary>
    public async Task<ActiveDriver> ActiveDriverAsync()
    {
        var (lotId, spaces) = await OpenLotAsync();
        var (account, client) = await DriverAsync();
        var sessionPlate = NewPlate();
        var reservationPlate = NewPlate();
        var phone = "+4520" + Random.Shared.Next(100_000, 999_999);

        var sessionId = (await (await client.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = sessionPlate, durationMinutes = 60 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        await (await client.PostAsync($"/api/v1/sessions/{sessionId}/stop", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var start = Clock.GetUtcNow().AddHours(3);
        var reservationId = await BookPaidAsync(client, Booking(lotId, spaces[0].SpaceId, start, TimeSpan.FromHours(1), reservationPlate));
        await (await client.PostAsync($"/api/v1/reservations/{reservationId}/cancellation", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { phone, marketing = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await client.PutAsJsonAsync("/api/v1/me/consents", new { analytics = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await client.PostAsync("/api/v1/me/chat-link-code", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await SeedChatAsync(account.Id, phone, sessionPlate);
        return new ActiveDriver(account, client, lotId, sessionPlate, reservationPlate, phone, sessionId, reservationId);
    }

    /// <summary>
    /// A WhatsApp number linked to the driver, a conversation on it and one in the web widget that name the plate, and a
    /// hand-over to staff (seeded as the assistant stores them: the chat tests drive the channels themselves).
    /// </summary>
    private async Task SeedChatAsync(Guid driverId, string phone, string plate)
    {
        var turns = JsonSerializer.Serialize(new[] { new { author = "driver", text = $"Is {plate} paid?" } });
        var handoff = Guid.NewGuid();
        var sender = ChatSenderKey("whatsapp", phone);
        var protector = Services.GetRequiredService<FieldProtector>();
        await ExecuteAsync("insert into chat_links (channel, sender, sender_encrypted, driver_id, linked_at) values ('whatsapp', $1, $2, $3, now())",
            sender, protector.Seal(phone, ChatAccountLinks.SenderField), driverId);
        await ExecuteAsync("insert into chat_conversations (channel, sender, turns, last_active_at) values ('whatsapp', $1, $2::jsonb, now())", sender, turns);
        await ExecuteAsync("insert into chat_conversations (channel, sender, turns, last_active_at) values ('web', $1, $2::jsonb, now())", driverId.ToString(), turns);
        await ExecuteAsync("""
            insert into chat_handoffs (id, channel, sender, sender_encrypted, driver_id, language, status, requested_at, last_message_at)
            values ($1, 'whatsapp', $2, $3, $4, 'en', 'waiting', now(), now())
            """, handoff, sender, protector.Seal(phone, HandoffStore.SenderField), driverId);
        await ExecuteAsync("insert into chat_handoff_messages (handoff_id, at, author, text) values ($1, now(), 'driver', $2)", handoff, $"My car {plate} got a ticket");
    }

    /// <summary>Every text, JSON and array column of every table ("table.column") holding <paramref name="needle"/> in any case.</summary>
    public async Task<IReadOnlyList<string>> ColumnsContainingAsync(string needle)
    {
        var columns = new List<(string Table, string Column)>();
        await using (var command = Sql.CreateCommand("""
            select c.table_name, c.column_name from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
              and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
            order by 1, 2
            """))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) columns.Add((reader.GetString(0), reader.GetString(1)));
        var found = new List<string>();
        foreach (var (table, column) in columns)
            if (await ScalarAsync<bool>($"select exists (select 1 from \"{table}\" where strpos(lower(\"{column}\"::text), lower($1)) > 0)", needle))
                found.Add($"{table}.{column}");
        return found;
    }

    /// <summary>The entries of a downloaded archive by name, as text.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ArchiveAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        var entries = new Dictionary<string, string>();
        foreach (var entry in zip.Entries)
        {
            using var reader = new StreamReader(entry.Open());
            entries[entry.FullName] = await reader.ReadToEndAsync();
        }
        return entries;
    }

    /// <summary>The rows of one table of an archive's data.json.</summary>
    public static IReadOnlyList<JsonElement> Rows(IReadOnlyDictionary<string, string> archive, string table) =>
        JsonDocument.Parse(archive["data.json"]).RootElement.GetProperty("tables").GetProperty(table).EnumerateArray().ToList();

    /// <summary>The ledger's totals: what was taken and what was refunded, over every payment.</summary>
    public async Task<(decimal Paid, decimal Refunded)> LedgerTotalsAsync() =>
        (await ScalarAsync<decimal>("select coalesce(sum(amount), 0) from payments where state = 'succeeded'"),
         await ScalarAsync<decimal>("select coalesce(sum(amount), 0) from refunds where state = 'succeeded'"));
}

/// <summary>A server with one more holder of personal data whose erasure always fails: the failure injected mid-erasure.</summary>
public sealed class FailingHolderFactory : RightsFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IPersonalDataHolder, FailingHolder>());
    }

    private sealed class FailingHolder : IPersonalDataHolder
    {
        public string Area => "failing";

        public Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct) => Task.FromResult<IReadOnlyList<PersonalDataTable>>([]);

        public Task EraseAsync(ErasureScope scope, CancellationToken ct) => throw new InvalidOperationException("Injected failure while erasing.");
    }
}
