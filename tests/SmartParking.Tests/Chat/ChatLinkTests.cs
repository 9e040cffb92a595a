using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Chat;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Chat;

/// <summary>Account linking: a code from the app makes a channel's chat the driver, once, until unlinked.</summary>
public sealed class ChatLinkTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private ChatAssistant Assistant => factory.Services.GetRequiredService<ChatAssistant>();

    private async Task<string> SayAsync(ChatSender sender, string message) =>
        string.Join("\n", (await Assistant.ReplyAsync(sender, message, CancellationToken.None)).Select(r => r.Text));

    private static ChatSender Telegram() => new("telegram", Random.Shared.NextInt64(1, long.MaxValue).ToString());

    private static async Task<string> CodeAsync(HttpClient driver) =>
        (await (await driver.PostAsync("/api/v1/me/chat-link-code", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("code");

    [Fact]
    public async Task Link_CodeFromTheApp_ChatActsForTheDriverUntilUnlinked()
    {
        var (_, driver) = await factory.DriverAsync();
        var chat = Telegram();
        (await SayAsync(chat, "my bookings")).ShouldContain("once I know who you are");

        (await SayAsync(chat, "link " + (await CodeAsync(driver)).ToLowerInvariant().Replace("-", " "))).ShouldStartWith("Linked!");
        (await SayAsync(chat, "my bookings")).ShouldContain("no upcoming bookings");
        var links = (await (await driver.GetAsync("/api/v1/me/chat-links")).ShouldHaveStatusAsync(HttpStatusCode.OK)).EnumerateArray().ToList();
        links.ShouldHaveSingleItem().Str("channel").ShouldBe("telegram");

        (await SayAsync(chat, "unlink")).ShouldStartWith("Unlinked.");
        (await SayAsync(chat, "my bookings")).ShouldContain("once I know who you are");
    }

    [Fact]
    public async Task UnlinkedInTheApp_TheChatNoLongerActsForTheDriver()
    {
        var (_, driver) = await factory.DriverAsync();
        var chat = Telegram();
        (await SayAsync(chat, "link " + await CodeAsync(driver))).ShouldStartWith("Linked!");
        (await SayAsync(chat, "my bookings")).ShouldContain("no upcoming bookings");

        (await driver.DeleteAsync("/api/v1/me/chat-links/telegram")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await SayAsync(chat, "my bookings")).ShouldContain("once I know who you are");
    }

    [Fact]
    public async Task ConversationMovedOnByAnotherNode_AnsweredFromWhatThatNodeWrote()
    {
        var (_, driver) = await factory.DriverAsync();
        var chat = Telegram();
        (await SayAsync(chat, "link " + await CodeAsync(driver))).ShouldStartWith("Linked!");
        (await SayAsync(chat, "hello")).ShouldContain("find parking");

        // Another node asked this user for a place to park (its write, not this node's).
        await factory.ExecuteAsync("""
            update chat_conversations set state = '{"flow":"find_parking","slots":{},"awaiting":"location"}', version = version + 1
            where channel = 'telegram' and sender = $1
            """, factory.ChatSenderKey(chat.Channel, chat.Id));

        // Taken as the answer to that question, which this node never asked.
        (await SayAsync(chat, "Qzxville Nowhere")).ShouldContain("I couldn't find \"Qzxville Nowhere\"");
    }

    [Fact]
    public async Task Link_CodeUsedTwice_SecondChatRefused()
    {
        var (_, driver) = await factory.DriverAsync();
        var code = await CodeAsync(driver);

        (await SayAsync(Telegram(), "link " + code)).ShouldStartWith("Linked!");
        (await SayAsync(Telegram(), "link " + code)).ShouldContain("wrong or has expired");
    }

    [Fact]
    public async Task Link_CodeOlderThanTenMinutes_Refused()
    {
        var (_, driver) = await factory.DriverAsync();
        var code = await CodeAsync(driver);
        factory.Clock.Advance(TimeSpan.FromMinutes(11));

        (await SayAsync(Telegram(), "link " + code)).ShouldContain("wrong or has expired");
    }

    [Fact]
    public async Task Link_OnTheAnonymousRestChannel_Refused()
    {
        var (_, driver) = await factory.DriverAsync();
        var code = await CodeAsync(driver);
        using var anonymous = factory.CreateClient();

        var body = await (await anonymous.PostAsJsonAsync("/webhooks/rest/webhook", new { sender = "guess", message = "link " + code })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        body.EnumerateArray().Single().Str("text").ShouldContain("Sign in");
        (await SayAsync(Telegram(), "link " + code)).ShouldStartWith("Linked!"); // the code was not spent
    }
}
