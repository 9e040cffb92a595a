using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartParking.Server.Modules.Chat.Channels;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>The WhatsApp number end to end: signed Meta notifications in, the assistant, replies out through a fake Graph API on a real socket.</summary>
public sealed class WhatsAppChannelTests(ChatChannelsFactory factory) : IClassFixture<ChatChannelsFactory>
{
    private static string NewNumber() => "45" + Random.Shared.Next(20_000_000, 99_999_999);

    private static string NewMessageId() => "wamid.HBgL" + Guid.NewGuid().ToString("N");

    private static string Notification(params JsonObject[] messages) => ChatChannelsFactory.WhatsAppNotification(messages);

    private static JsonObject Message(string from, string type, JsonObject content, string? id = null) => ChatChannelsFactory.WhatsAppMessage(from, type, content, id);

    private static JsonObject Text(string from, string body, string? id = null) => ChatChannelsFactory.WhatsAppText(from, body, id);

    private async Task<IReadOnlyList<FakeWhatsApp.Call>> SayAsync(string from, string text)
    {
        (await factory.PostWhatsAppAsync(Notification(Text(from, text)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        return await ChatChannelsFactory.AtLeastAsync(() => factory.WhatsApp.MessagesTo(from));
    }

    [Fact]
    public async Task Verification_RightToken_ChallengeEchoedAsPlainText()
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync($"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={ChatChannelsFactory.WhatsAppVerifyToken}&hub.challenge=1158201444");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        (await response.Content.ReadAsStringAsync()).ShouldBe("1158201444");
    }

    [Theory]
    [InlineData("subscribe", "not-the-token")]
    [InlineData("subscribe", "")]
    [InlineData("unsubscribe", ChatChannelsFactory.WhatsAppVerifyToken)]
    public async Task Verification_WrongTokenOrMode_403(string mode, string token)
    {
        using var client = factory.CreateClient();

        var response = await client.GetAsync($"/webhooks/whatsapp?hub.mode={mode}&hub.verify_token={token}&hub.challenge=1158201444");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        problem.ToString().ShouldNotContain("1158201444");
    }

    [Fact]
    public async Task Hello_GreetingWithReplyButtonsToTheSameNumber()
    {
        var from = NewNumber();

        var call = (await SayAsync(from, "hello")).ShouldHaveSingleItem();

        call.Version.ShouldBe(ChatChannelsFactory.WhatsAppVersion);
        call.PhoneNumberId.ShouldBe(ChatChannelsFactory.PhoneNumberId);
        call.Authorization.ShouldBe("Bearer " + FakeWhatsApp.AccessToken);
        call.Body.Str("messaging_product").ShouldBe("whatsapp");
        call.Type.ShouldBe("interactive");
        call.Text.ShouldContain("find parking");
        var interactive = call.Body.GetProperty("interactive");
        interactive.Str("type").ShouldBe("button");
        var buttons = interactive.GetProperty("action").GetProperty("buttons").EnumerateArray().ToList();
        buttons.Count.ShouldBeInRange(1, 3);
        buttons.ShouldAllBe(b => b.Str("type") == "reply" && b.GetProperty("reply").Str("title").Length <= 20);
        buttons.Select(b => b.GetProperty("reply").Str("id")).ShouldContain("/find_parking");
    }

    [Fact]
    public async Task ButtonReply_HandledAsItsPayload_PlainTextAnswer()
    {
        var from = NewNumber();
        var press = Message(from, "interactive", new JsonObject
        {
            ["type"] = "button_reply", ["button_reply"] = new JsonObject { ["id"] = "/find_parking", ["title"] = "Find parking" },
        });

        (await factory.PostWhatsAppAsync(Notification(press))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var call = (await ChatChannelsFactory.AtLeastAsync(() => factory.WhatsApp.MessagesTo(from))).ShouldHaveSingleItem();
        call.Type.ShouldBe("text");
        call.Text.ShouldContain("Where would you like to park?");
    }

    [Fact]
    public async Task Image_PoliteTextOnlyReply()
    {
        var from = NewNumber();
        var image = Message(from, "image", new JsonObject { ["id"] = "1479537139650973", ["mime_type"] = "image/jpeg", ["sha256"] = "abc" });

        (await factory.PostWhatsAppAsync(Notification(image))).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await ChatChannelsFactory.AtLeastAsync(() => factory.WhatsApp.MessagesTo(from))).ShouldHaveSingleItem().Text.ShouldContain("only read text");
    }

    public static TheoryData<string> BadSignatures => new()
    {
        "sha256=" + new string('0', 64),
        ChatChannelsFactory.Sign(Encoding.UTF8.GetBytes("{\"object\":\"whatsapp_business_account\",\"entry\":[]}")),
        ChatChannelsFactory.Sign(Encoding.UTF8.GetBytes("{}"), "not-the-app-secret"),
        "sha1=0123456789abcdef0123456789abcdef01234567",
        "garbage",
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task WrongSignature_401NothingSent(string signature)
    {
        var from = NewNumber();

        var response = await factory.PostWhatsAppAsync(Notification(Text(from, "hello")), signature);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        factory.WhatsApp.MessagesTo(from).ShouldBeEmpty();
        factory.Logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning && e.Message.Contains("X-Hub-Signature-256"));
        factory.Logs.Entries.ShouldAllBe(e => !e.Message.Contains(ChatChannelsFactory.WhatsAppAppSecret) && !e.Message.Contains(FakeWhatsApp.AccessToken));
    }

    [Fact]
    public async Task NoSignature_401NothingSent()
    {
        var from = NewNumber();

        var response = await factory.PostWhatsAppAsync(Notification(Text(from, "hello")), signed: false);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        factory.WhatsApp.MessagesTo(from).ShouldBeEmpty();
    }

    [Fact]
    public async Task SameMessageDeliveredTwiceAtOnce_AnsweredOnce()
    {
        var from = NewNumber();
        var notification = Notification(Text(from, "hello", NewMessageId()));

        var responses = await Task.WhenAll(factory.PostWhatsAppAsync(notification), factory.PostWhatsAppAsync(notification));
        (await factory.PostWhatsAppAsync(notification)).StatusCode.ShouldBe(HttpStatusCode.OK);

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        factory.WhatsApp.MessagesTo(from).Count.ShouldBe(1);
    }

    [Fact]
    public async Task StatusesOnly_200NothingSent()
    {
        var before = factory.WhatsApp.Calls.Count;
        var statuses = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
             "metadata":{"display_phone_number":"4570000000","phone_number_id":"106540352242922"},
             "statuses":[{"id":"wamid.X","status":"delivered","timestamp":"1700000000","recipient_id":"4520000000"}]}}]}]}
            """;

        (await factory.PostWhatsAppAsync(statuses)).StatusCode.ShouldBe(HttpStatusCode.OK);

        factory.WhatsApp.Calls.Count.ShouldBe(before);
    }

    [Fact]
    public async Task GraphApiFailsOnceWith500_RetriedAndDelivered()
    {
        var from = NewNumber();
        factory.WhatsApp.Answer(from, 500);

        var attempts = await SayAsync(from, "hello");

        attempts.Count.ShouldBe(2);
        attempts.Select(a => a.Text).Distinct().ShouldHaveSingleItem().ShouldContain("find parking");
    }

    [Fact]
    public async Task GraphApiRefusesWith400_NotRetriedLoggedAndTheWebhookStill200()
    {
        var from = NewNumber();
        factory.WhatsApp.Answer(from, 400);

        var attempts = await SayAsync(from, "hello");

        attempts.Count.ShouldBe(1);
        factory.Logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning && e.Message.Contains("131030"));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"entry\": 5}")]
    public async Task NotANotification_400Problem(string body)
    {
        await (await factory.PostWhatsAppAsync(body)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, errorKey: "body");
    }

    [Fact]
    public async Task BodyOver256Kilobytes_413()
    {
        var response = await factory.PostWhatsAppAsync(Notification(Text(NewNumber(), new string('a', 300 * 1024))));

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task AnsweredMessageIds_ForgottenAfterADay()
    {
        var (old, recent) = (NewMessageId(), NewMessageId());
        await factory.ExecuteAsync("insert into chat_channel_updates (channel, update_id, received_at) values ('whatsapp', $1, now() - interval '25 hours'), ('whatsapp', $2, now() - interval '23 hours')", old, recent);

        await factory.Services.GetServices<IScheduledJob>().OfType<ChannelUpdatesCleanup>().Single().RunAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        (await factory.ColumnAsync("select update_id from chat_channel_updates where update_id in ($1, $2)", old, recent)).ShouldBe([recent]);
    }

    [Theory]
    [InlineData(new[] { "Find parking" }, new[] { "Find parking" })]
    [InlineData(new[] { "Reserve at Harbour Garage North" }, new[] { "Reserve at Harbour…" })]
    [InlineData(new[] { "Reserve at Chatgarage A1", "Reserve at Chatgarage B2" }, new[] { "Reserve at…", "Reserve at… 2" })]
    public void ButtonTitles_AtMostTwentyCharactersAndDistinct(string[] titles, string[] expected)
    {
        var shortened = WhatsAppChannel.UniqueTitles(titles);

        shortened.ShouldBe(expected);
        shortened.ShouldAllBe(t => t.Length <= 20);
    }

    [Fact]
    public async Task Handoff_OperatorsAnswerSentFromTheNumberTheyWroteTo()
    {
        var from = NewNumber();
        var (admin, handoff) = await factory.HandoffAsync(() => SayAsync(from, "put me through to customer service"));

        var answer = await (await admin.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "Hi, support here. What happened?" }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);

        answer.Str("delivery").ShouldBe("sent");
        var sent = factory.WhatsApp.MessagesTo(from).Last();
        sent.Text.ShouldBe("Hi, support here. What happened?");
        sent.PhoneNumberId.ShouldBe(ChatChannelsFactory.PhoneNumberId);
    }
}

/// <summary>A server with no channel settings.</summary>
public sealed class ChatChannelsOffTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("POST", "/webhooks/telegram")]
    [InlineData("POST", "/webhooks/whatsapp")]
    [InlineData("GET", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1")]
    public async Task NotConfigured_404(string method, string url)
    {
        using var client = factory.CreateClient();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = method == "POST" ? new StringContent("{}") : null });

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }
}
