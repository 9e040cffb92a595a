using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Chat;

/// <summary>
/// Hand-over to a person through the REST channel: the chat lands in the queue of the operator it concerns, the operator
/// reads what was said and answers, the driver fetches the answer, and either side can end it.
/// </summary>
public sealed class HandoffTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static async Task<JsonElement> SayAsync(HttpClient client, string sender, string message) =>
        await (await client.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message })).ShouldHaveStatusAsync(HttpStatusCode.OK);

    private static string Texts(JsonElement replies) => string.Join("\n", replies.EnumerateArray().Select(r => r.Str("text")));

    private static async Task<JsonElement> QueueAsync(HttpClient staff) =>
        await (await staff.GetAsync("/api/v1/chat/handoffs")).ShouldHaveStatusAsync(HttpStatusCode.OK);

    private static async Task<JsonElement> FetchAsync(HttpClient client, string sender, long after = 0) =>
        await (await client.GetAsync($"/webhooks/rest/messages?sender={sender}&after={after}")).ShouldHaveStatusAsync(HttpStatusCode.OK);

    /// <summary>A signed-in driver parking at a lot of the factory's tenant, who asks for a person.</summary>
    private async Task<(HttpClient Driver, Guid Handoff)> DriverInQueueAsync()
    {
        var (lotId, _) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "HD 12 345", durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        using var op = factory.OperatorClient();
        var before = (await QueueAsync(op)).EnumerateArray().Select(h => h.Id()).ToHashSet();
        await SayAsync(driver, "widget", "hello");
        var reply = Texts(await SayAsync(driver, "widget", "I want to talk to a real person please"));
        reply.ShouldContain("asked a person");
        var queued = (await QueueAsync(op)).EnumerateArray().Single(h => !before.Contains(h.Id()));
        queued.Str("lastDriverMessage").ShouldBe("I want to talk to a real person please");
        return (driver, queued.Id());
    }

    [Fact]
    public async Task Handoff_GoesToTheOperatorOfTheDriversLot_WithWhatWasSaid()
    {
        var (_, handoff) = await DriverInQueueAsync();
        using var op = factory.OperatorClient();

        var thread = await (await op.GetAsync($"/api/v1/chat/handoffs/{handoff}")).ShouldHaveStatusAsync(HttpStatusCode.OK);

        thread.GetProperty("handoff").Str("status").ShouldBe("waiting");
        thread.GetProperty("handoff").GetProperty("knownDriver").GetBoolean().ShouldBeTrue();
        thread.GetProperty("handoff").Str("tenantId").ShouldBe(factory.TenantId.ToString());
        var said = thread.GetProperty("messages").EnumerateArray().Select(m => (m.Str("author"), m.Str("text"))).ToList();
        said[0].ShouldBe(("driver", "hello"));
        said[1].Item1.ShouldBe("assistant");
        said[^1].ShouldBe(("driver", "I want to talk to a real person please"));
    }

    [Fact]
    public async Task AnotherTenantsOperator_NeitherSeesNorAnswersIt()
    {
        var (_, handoff) = await DriverInQueueAsync();
        var (_, other, _) = await factory.NewTenantWithOperatorAsync();

        (await QueueAsync(other)).EnumerateArray().ShouldNotContain(h => h.Id() == handoff);
        (await other.GetAsync($"/api/v1/chat/handoffs/{handoff}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "hi" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DriverAndChatApi_CannotReadTheQueue()
    {
        var (driver, _) = await DriverInQueueAsync();

        (await driver.GetAsync("/api/v1/chat/handoffs")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await factory.CreateClient().GetAsync("/api/v1/chat/handoffs")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OperatorAnswers_DriverFetchesItAndTheirNextWordsGoToTheOperator()
    {
        var (driver, handoff) = await DriverInQueueAsync();
        using var op = factory.OperatorClient();

        var sent = await (await op.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "Hi, this is Anna from the car park. How can I help?" }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        var fetched = await FetchAsync(driver, "widget");
        var followUp = await SayAsync(driver, "widget", "the barrier won't open");

        sent.Str("delivery").ShouldBe("fetch");
        fetched.EnumerateArray().Select(m => m.Str("text")).ShouldBe(["Hi, this is Anna from the car park. How can I help?"]);
        (await FetchAsync(driver, "widget", fetched[0].GetProperty("id").GetInt64())).GetArrayLength().ShouldBe(0);
        followUp.GetArrayLength().ShouldBe(0);
        var thread = await (await op.GetAsync($"/api/v1/chat/handoffs/{handoff}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        thread.GetProperty("handoff").Str("status").ShouldBe("answered");
        thread.GetProperty("messages").EnumerateArray().Last().Str("text").ShouldBe("the barrier won't open");
    }

    [Fact]
    public async Task OperatorCloses_DriverToldAndTheAssistantAnswersAgain()
    {
        var (driver, handoff) = await DriverInQueueAsync();
        using var op = factory.OperatorClient();

        await (await op.PostAsync($"/api/v1/chat/handoffs/{handoff}/close", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var notice = await FetchAsync(driver, "widget");
        var next = Texts(await SayAsync(driver, "widget", "hello"));

        notice.EnumerateArray().Last().Str("text").ShouldContain("closed this chat");
        next.ShouldContain("find parking");
        (await op.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = "still there?" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task DriverGoesBack_HandoffClosedAndTheAssistantAnswers()
    {
        var (driver, handoff) = await DriverInQueueAsync();
        using var op = factory.OperatorClient();

        var back = Texts(await SayAsync(driver, "widget", "/restart"));

        back.ShouldContain("back with the assistant");
        var thread = await (await op.GetAsync($"/api/v1/chat/handoffs/{handoff}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        thread.GetProperty("handoff").Str("status").ShouldBe("closed");
        (await QueueAsync(op)).EnumerateArray().ShouldNotContain(h => h.Id() == handoff);
    }

    [Fact]
    public async Task AskingTwice_OneHandoff()
    {
        var (driver, handoff) = await DriverInQueueAsync();

        await SayAsync(driver, "widget", "can I speak to a human");
        using var op = factory.OperatorClient();

        (await QueueAsync(op)).EnumerateArray().Count(h => h.Id() == handoff).ShouldBe(1);
        var thread = await (await op.GetAsync($"/api/v1/chat/handoffs/{handoff}")).ShouldHaveStatusAsync(HttpStatusCode.OK);
        thread.GetProperty("messages").EnumerateArray().Last().Str("text").ShouldBe("can I speak to a human");
    }

    [Fact]
    public async Task AnonymousUser_GoesToThePlatformsStaff_NotToAnOperator()
    {
        var sender = "anon-" + Guid.NewGuid().ToString("N");
        var anonymous = factory.CreateClient();

        Texts(await SayAsync(anonymous, sender, "let me talk to someone")).ShouldContain("asked a person");
        using var op = factory.OperatorClient();
        using var admin = factory.ClientFor(await factory.CreateAdminAsync());

        (await QueueAsync(op)).EnumerateArray().ShouldNotContain(h => h.Str("lastDriverMessage") == "let me talk to someone" && h.Str("channel") == "rest");
        var queued = (await QueueAsync(admin)).EnumerateArray().Where(h => h.Str("channel") == "rest" && h.Str("lastDriverMessage") == "let me talk to someone").ToList();
        queued.ShouldNotBeEmpty();
        queued.ShouldAllBe(h => h.GetProperty("tenantId").ValueKind == JsonValueKind.Null);
        await (await admin.PostAsJsonAsync($"/api/v1/chat/handoffs/{queued[^1].Id()}/messages", new { text = "Hello from support" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        (await FetchAsync(anonymous, sender)).EnumerateArray().Select(m => m.Str("text")).ShouldBe(["Hello from support"]);
        (await FetchAsync(anonymous, "someone-else")).GetArrayLength().ShouldBe(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bad\u0000text")]
    public async Task Answer_EmptyOrUnstorable_400NamingText(string text)
    {
        var (_, handoff) = await DriverInQueueAsync();
        using var op = factory.OperatorClient();

        var problem = await (await op.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text })).ShouldHaveStatusAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").TryGetProperty("text", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Answer_TooLong_400()
    {
        var (_, handoff) = await DriverInQueueAsync();
        using var op = factory.OperatorClient();

        var problem = await (await op.PostAsJsonAsync($"/api/v1/chat/handoffs/{handoff}/messages", new { text = new string('x', 5_000) })).ShouldHaveStatusAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").TryGetProperty("text", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task FetchMessages_NoSenderOrNegativeAfter_400()
    {
        var client = factory.CreateClient();

        (await client.GetAsync("/webhooks/rest/messages")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.GetAsync("/webhooks/rest/messages?sender=x&after=-1")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}
