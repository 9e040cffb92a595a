using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Chat;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>
/// A WhatsApp number is a phone number: the chat tables hold a keyed index of it, never the number, yet the link, the
/// conversation and an operator's answer still reach the same person. Numbers stored in clear before are re-keyed.
/// </summary>
public sealed class ChatSenderPrivacyTests(ChatChannelsFactory factory) : IClassFixture<ChatChannelsFactory>
{
    private static string NewNumber() => "45" + Random.Shared.Next(20_000_000, 99_999_999);

    private Task<HttpResponseMessage> SayAsync(string from, string text) =>
        factory.PostWhatsAppAsync(ChatChannelsFactory.WhatsAppNotification(ChatChannelsFactory.WhatsAppText(from, text)));

    /// <summary>The texts sent to the number so far, once there are at least <paramref name="count"/>.</summary>
    private async Task<List<string>> RepliesAsync(string number, int count) =>
        (await ChatChannelsFactory.AtLeastAsync(() => factory.WhatsApp.MessagesTo(number), count)).Select(m => m.Text).ToList();

    /// <summary>Rows of the chat tables that hold the text anywhere, in clear.</summary>
    private Task<long> RowsHoldingAsync(string text) => factory.ScalarAsync<long>("""
        select (select count(*) from chat_links t where t::text like '%' || $1 || '%')
             + (select count(*) from chat_conversations t where t::text like '%' || $1 || '%')
             + (select count(*) from chat_handoffs t where t::text like '%' || $1 || '%')
        """, text);

    [Fact]
    public async Task WhatsAppNumber_StoredOnlyAsAKeyedIndex_YetLinkedAndReachedByTheOperator()
    {
        var number = NewNumber();
        var driver = await factory.RegisterDriverAsync("whatsapp");
        using var app = factory.ClientFor(driver);
        var code = (await (await app.PostAsync("/api/v1/me/chat-link-code", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("code");
        (await SayAsync(number, "link " + code)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await RepliesAsync(number, 1)).Last().ShouldStartWith("Linked!");
        var (admin, handoff) = await factory.HandoffAsync(async () =>
        {
            (await SayAsync(number, "I want to talk to a person")).StatusCode.ShouldBe(HttpStatusCode.OK);
            await RepliesAsync(number, 2);
        });

        (await admin.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "Hi, this is support." })).StatusCode.ShouldBe(HttpStatusCode.Created);

        (await RepliesAsync(number, 3)).ShouldContain("Hi, this is support.");
        (await factory.ScalarAsync<long>("select count(*) from chat_links where driver_id = $1", driver.Id)).ShouldBe(1);
        (await factory.ScalarAsync<long>("select count(*) from chat_handoffs where id = $1 and sender_encrypted is not null", handoff)).ShouldBe(1);
        (await RowsHoldingAsync(number)).ShouldBe(0, "the number is in no chat row in clear");
    }

    [Fact]
    public async Task NumbersStoredInClearBefore_Rekeyed_LinkConversationAndHandoffStillTheirs()
    {
        var number = NewNumber();
        var driver = await factory.RegisterDriverAsync("legacy");
        var handoff = Guid.NewGuid();
        await factory.ExecuteAsync("insert into chat_links (channel, sender, driver_id, linked_at) values ('whatsapp', $1, $2, now())", number, driver.Id);
        await factory.ExecuteAsync("""
            insert into chat_conversations (channel, sender, state, version, last_active_at) values ('whatsapp', $1, '{}', 3, now())
            """, number);
        await factory.ExecuteAsync("""
            insert into chat_handoffs (id, channel, sender, reply_via, driver_id, language, status, requested_at, last_message_at)
            values ($1, 'whatsapp', $2, $3, $4, 'en', 'waiting', now(), now())
            """, handoff, number, ChatChannelsFactory.PhoneNumberId, driver.Id);
        var job = factory.Services.GetServices<IScheduledJob>().Single(j => j.Name == "chat-sender-rekeying");

        await job.RunAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        await job.RunAsync(DateTimeOffset.UtcNow, CancellationToken.None); // nothing left: a second run changes nothing

        (await RowsHoldingAsync(number)).ShouldBe(0);
        var key = factory.Services.GetRequiredService<ChatSenderKeys>().StoredId("whatsapp", number);
        (await factory.ScalarAsync<long>("select count(*) from chat_links where sender = $1 and driver_id = $2", key, driver.Id)).ShouldBe(1);
        (await factory.ScalarAsync<long>("select version from chat_conversations where channel = 'whatsapp' and sender = $1", key)).ShouldBe(3);
        using var admin = factory.ClientFor(await factory.CreateAdminAsync());
        (await admin.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "Sorry for the wait." })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await RepliesAsync(number, 1)).ShouldContain("Sorry for the wait.");
        (await admin.PostAsync($"/api/v1/chat/handoffs/{handoff}/close", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SayAsync(number, "unlink")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await RepliesAsync(number, 3)).Last().ShouldStartWith("Unlinked.", Case.Sensitive, "the link was found under the new key");
    }
}
