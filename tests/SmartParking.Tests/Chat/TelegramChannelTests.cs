using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>The Telegram bot end to end: signed webhook calls in, the assistant, replies out through a fake Bot API on a real socket.</summary>
public sealed class TelegramChannelTests(ChatChannelsFactory factory) : IClassFixture<ChatChannelsFactory>
{
    private static long _updateIds = Random.Shared.Next(1_000_000, 2_000_000);

    private static long NewChat() => Random.Shared.NextInt64(10_000_000, 9_000_000_000);

    private static long NextUpdateId() => Interlocked.Increment(ref _updateIds);

    private static JsonObject Chat(long chatId, string type = "private") => new() { ["id"] = chatId, ["type"] = type, ["first_name"] = "Kim" };

    private static JsonObject From(long userId) => new() { ["id"] = userId, ["is_bot"] = false, ["first_name"] = "Kim", ["language_code"] = "en" };

    private static string TextUpdate(long chatId, string text, long? updateId = null, string chatType = "private") => new JsonObject
    {
        ["update_id"] = updateId ?? NextUpdateId(),
        ["message"] = new JsonObject
        {
            ["message_id"] = 7, ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["from"] = From(chatId), ["chat"] = Chat(chatId, chatType), ["text"] = text,
        },
    }.ToJsonString();

    private async Task<IReadOnlyList<FakeTelegram.Call>> SayAsync(long chatId, string text)
    {
        (await factory.PostTelegramAsync(TextUpdate(chatId, text))).StatusCode.ShouldBe(HttpStatusCode.OK);
        return await ChatChannelsFactory.AtLeastAsync(() => factory.Telegram.MessagesTo(chatId));
    }

    [Fact]
    public async Task Hello_GreetingSentToTheSameChatWithAnInlineKeyboard()
    {
        var chatId = NewChat();

        var messages = await SayAsync(chatId, "hello");

        var greeting = messages.ShouldHaveSingleItem();
        greeting.Text.ShouldNotBeNull().ShouldContain("find parking");
        var rows = greeting.Body.GetProperty("reply_markup").GetProperty("inline_keyboard").EnumerateArray().ToList();
        rows.ShouldAllBe(row => row.GetArrayLength() == 1);
        rows.Select(row => row[0].Str("callback_data")).ShouldContain("/find_parking");
        rows.Select(row => row[0].Str("text")).ShouldContain("Find parking");
    }

    [Fact]
    public async Task ButtonPress_AnsweredThenHandledAsItsPayload()
    {
        var chatId = NewChat();
        var press = new JsonObject
        {
            ["update_id"] = NextUpdateId(),
            ["callback_query"] = new JsonObject
            {
                ["id"] = "4382bfdwdsb323b2d9", ["from"] = From(chatId), ["chat_instance"] = "-1234", ["data"] = "/find_parking",
                ["message"] = new JsonObject { ["message_id"] = 8, ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["chat"] = Chat(chatId), ["text"] = "Hi!" },
            },
        }.ToJsonString();

        (await factory.PostTelegramAsync(press)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var reply = (await ChatChannelsFactory.AtLeastAsync(() => factory.Telegram.MessagesTo(chatId))).ShouldHaveSingleItem();
        reply.Text.ShouldNotBeNull().ShouldContain("Where would you like to park?");
        factory.Telegram.Calls.ShouldContain(c => c.Method == "answerCallbackQuery" && c.Body.Str("callback_query_id") == "4382bfdwdsb323b2d9");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-secret")]
    public async Task MissingOrWrongSecretToken_401NothingSentAndAWarningWithoutSecrets(string? secret)
    {
        var chatId = NewChat();

        var response = await factory.PostTelegramAsync(TextUpdate(chatId, "hello"), secret);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        factory.Telegram.MessagesTo(chatId).ShouldBeEmpty();
        var warnings = factory.Logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("Telegram webhook")).ToList();
        warnings.ShouldNotBeEmpty();
        warnings.ShouldAllBe(e => !e.Message.Contains(ChatChannelsFactory.TelegramSecret) && !e.Message.Contains(FakeTelegram.Token)
                                  && (secret == null || !e.Message.Contains(secret)));
    }

    [Fact]
    public async Task SameUpdateDeliveredTwiceAtOnce_AnsweredOnce()
    {
        var chatId = NewChat();
        var update = TextUpdate(chatId, "hello", NextUpdateId());

        var responses = await Task.WhenAll(factory.PostTelegramAsync(update), factory.PostTelegramAsync(update));
        (await factory.PostTelegramAsync(update)).StatusCode.ShouldBe(HttpStatusCode.OK);

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        factory.Telegram.MessagesTo(chatId).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Photo_PoliteTextOnlyReply()
    {
        var chatId = NewChat();
        var photo = new JsonObject
        {
            ["update_id"] = NextUpdateId(),
            ["message"] = new JsonObject
            {
                ["message_id"] = 9, ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["from"] = From(chatId), ["chat"] = Chat(chatId),
                ["photo"] = new JsonArray(new JsonObject { ["file_id"] = "AgAD", ["file_unique_id"] = "AQAD", ["width"] = 90, ["height"] = 90 }),
            },
        }.ToJsonString();

        (await factory.PostTelegramAsync(photo)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await ChatChannelsFactory.AtLeastAsync(() => factory.Telegram.MessagesTo(chatId))).ShouldHaveSingleItem().Text.ShouldNotBeNull().ShouldContain("only read text");
    }

    [Fact]
    public async Task GroupChat_NotAnswered()
    {
        var groupId = -NewChat();

        (await factory.PostTelegramAsync(TextUpdate(groupId, "hello", chatType: "group"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        factory.Telegram.MessagesTo(groupId).ShouldBeEmpty();
    }

    [Fact]
    public async Task BotApiFailsOnceWith500_RetriedAndDelivered()
    {
        var chatId = NewChat();
        factory.Telegram.Answer(chatId, 500);

        var attempts = await SayAsync(chatId, "hello");

        // The webhook answers after the reply is sent, so both attempts are in.
        attempts.Count.ShouldBe(2);
        attempts.Select(a => a.Text).Distinct().ShouldHaveSingleItem().ShouldNotBeNull().ShouldContain("find parking");
    }

    [Fact]
    public async Task BotApiRefusesWith403_NotRetriedLoggedAndTheWebhookStillAnswered()
    {
        var chatId = NewChat();
        factory.Telegram.Answer(chatId, 403);

        var attempts = await SayAsync(chatId, "hello");

        attempts.Count.ShouldBe(1);
        factory.Logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning && e.Message.Contains("blocked by the user"));
    }

    [Fact]
    public async Task RateLimitedWithRetryAfter_RetriedAndDelivered()
    {
        var chatId = NewChat();
        factory.Telegram.Answer(chatId, 429);

        (await SayAsync(chatId, "hello")).Count.ShouldBe(2);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    public async Task NotAnUpdate_400Problem(string body)
    {
        var response = await factory.PostTelegramAsync(body);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, errorKey: "body");
    }

    [Fact]
    public async Task NoUpdateId_400ProblemNamingIt()
    {
        await (await factory.PostTelegramAsync("{}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, errorKey: "update_id");
    }

    [Fact]
    public async Task BodyOver256Kilobytes_413()
    {
        var response = await factory.PostTelegramAsync(TextUpdate(NewChat(), new string('a', 300 * 1024)));

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task PublicUrlSet_WebhookRegisteredAtStartWithTheSecret()
    {
        var calls = await ChatChannelsFactory.AtLeastAsync(() => factory.Telegram.Calls.Where(c => c.Method == "setWebhook").ToList());

        var registration = calls.ShouldHaveSingleItem();
        registration.Body.Str("url").ShouldBe(ChatChannelsFactory.TelegramPublicUrl);
        registration.Body.Str("secret_token").ShouldBe(ChatChannelsFactory.TelegramSecret);
    }

    [Fact]
    public async Task Handoff_OperatorsAnswerSentToTheSameChat()
    {
        var chatId = NewChat();
        var (admin, handoff) = await factory.HandoffAsync(() => SayAsync(chatId, "I'd like to talk to a person"));

        var answer = await (await admin.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "Hello, Kim here from support." }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);

        answer.Str("delivery").ShouldBe("sent");
        factory.Telegram.MessagesTo(chatId).Select(m => m.Text).ShouldContain("Hello, Kim here from support.");
    }

    [Fact]
    public async Task Handoff_TelegramRefusesTheAnswer_MarkedFailedForTheOperator()
    {
        var chatId = NewChat();
        var (admin, handoff) = await factory.HandoffAsync(() => SayAsync(chatId, "can I speak to a human"));
        factory.Telegram.Answer(chatId, 403);

        var answer = await (await admin.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "Are you still there?" }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);

        answer.Str("delivery").ShouldBe("failed");
        var thread = await (await admin.GetAsync($"/api/v1/chat/handoffs/{handoff}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        thread.GetProperty("messages").EnumerateArray().Last().Str("delivery").ShouldBe("failed");
    }
}
