using System.Net;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Sms;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

public sealed class SmsDeliveryTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    public async Task SendDue_Twilio201_SentWithTheSidAndTheDocumentedRequest()
    {
        var phone = NotificationsFactory.NewPhone();

        await factory.QueueToAsync(ChannelKind.Sms, phone);
        await factory.SendDueAsync();

        var call = factory.Twilio.CallsTo(phone).ShouldHaveSingleItem();
        call.From.ShouldBe(NotificationsFactory.SenderNumber);
        call.StatusCallback.ShouldBe(NotificationsFactory.StatusCallbackUrl);
        call.Body.ShouldContain("Sensor S-17 has not reported for 2 hours.");
        var row = await factory.OnlyRowForAsync(phone);
        row.Status.ShouldBe("sent");
        row.ProviderMessageId.ShouldBe(call.Sid);
    }

    [Fact]
    public async Task SendDue_Twilio400InvalidTo_FailedForGoodWithTwiliosCode()
    {
        var phone = NotificationsFactory.NewPhone();
        factory.Twilio.Answer(phone, 400);

        await factory.QueueToAsync(ChannelKind.Sms, phone);
        await factory.SendDueAsync();
        factory.Clock.Advance(TimeSpan.FromHours(1));
        await factory.SendDueAsync();

        var row = await factory.OnlyRowForAsync(phone);
        row.Status.ShouldBe("failed");
        row.Reason.ShouldNotBeNull().ShouldContain("21211");
        factory.Twilio.CallsTo(phone).Count.ShouldBe(1);
    }

    [Fact]
    public async Task SendDue_Twilio429_WaitsWithBackoffThenSentOnce()
    {
        var phone = NotificationsFactory.NewPhone();
        factory.Twilio.Answer(phone, 429, 429);

        await factory.QueueToAsync(ChannelKind.Sms, phone);
        await factory.SendDueAsync();
        var first = await factory.OnlyRowForAsync(phone);
        first.Status.ShouldBe("queued");
        first.Reason.ShouldNotBeNull().ShouldContain("20429");
        first.NextAttemptAt.ShouldBe(factory.Clock.GetUtcNow().AddSeconds(30), TimeSpan.FromSeconds(1));

        // Not due yet: nothing is sent before the backoff has passed.
        await factory.SendDueAsync();
        factory.Twilio.CallsTo(phone).Count.ShouldBe(1);

        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await factory.SendDueAsync();
        var second = await factory.OnlyRowForAsync(phone);
        second.Status.ShouldBe("queued");
        second.NextAttemptAt.ShouldBe(factory.Clock.GetUtcNow().AddSeconds(60), TimeSpan.FromSeconds(1), "the second wait doubles");

        factory.Clock.Advance(TimeSpan.FromSeconds(61));
        await factory.SendDueAsync();
        await factory.SendDueAsync();
        (await factory.OnlyRowForAsync(phone)).Status.ShouldBe("sent");
        factory.Twilio.CallsTo(phone).Count.ShouldBe(3);
        factory.Twilio.CallsTo(phone).Count(c => c.Sid is not null).ShouldBe(1);
    }

    [Fact]
    public async Task SendDue_Twilio5xx_RetriedThenSent()
    {
        var phone = NotificationsFactory.NewPhone();
        factory.Twilio.Answer(phone, 500);

        await factory.QueueToAsync(ChannelKind.Sms, phone);
        await factory.SendDueAsync();
        (await factory.OnlyRowForAsync(phone)).Status.ShouldBe("queued");
        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await factory.SendDueAsync();

        (await factory.OnlyRowForAsync(phone)).Status.ShouldBe("sent");
        factory.Twilio.CallsTo(phone).Count.ShouldBe(2);
    }

    [Fact]
    public async Task SendDue_ProviderAlwaysDown_StopsAfterThreeRetriesWithTheReason()
    {
        var phone = NotificationsFactory.NewPhone();
        factory.Twilio.Answer(phone, 503, 503, 503, 503, 503, 503);

        await factory.QueueToAsync(ChannelKind.Sms, phone);
        for (var i = 0; i < 6; i++)
        {
            await factory.SendDueAsync();
            factory.Clock.Advance(TimeSpan.FromMinutes(10));
        }

        var row = await factory.OnlyRowForAsync(phone);
        row.Status.ShouldBe("failed");
        row.Attempts.ShouldBe(4);
        row.Reason.ShouldNotBeNull().ShouldContain("Gave up after 4 attempts");
        factory.Twilio.CallsTo(phone).Count.ShouldBe(4, "the first try and three retries");
    }

    [Fact]
    public async Task StatusCallback_ValidSignatureDelivered_MarksTheMessageDelivered()
    {
        var phone = NotificationsFactory.NewPhone();
        await factory.QueueToAsync(ChannelKind.Sms, phone);
        await factory.SendDueAsync();
        var sid = (await factory.OnlyRowForAsync(phone)).ProviderMessageId!;

        var response = await PostStatusAsync(new() { ["MessageSid"] = sid, ["MessageStatus"] = "delivered", ["AccountSid"] = FakeTwilio.AccountSid, ["To"] = phone });

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await factory.OnlyRowForAsync(phone)).Status.ShouldBe("delivered");
    }

    [Fact]
    public async Task StatusCallback_Undelivered_FailedWithTwiliosErrorCode()
    {
        var phone = NotificationsFactory.NewPhone();
        await factory.QueueToAsync(ChannelKind.Sms, phone);
        await factory.SendDueAsync();
        var sid = (await factory.OnlyRowForAsync(phone)).ProviderMessageId!;

        var response = await PostStatusAsync(new() { ["MessageSid"] = sid, ["MessageStatus"] = "undelivered", ["ErrorCode"] = "30003" });

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var row = await factory.OnlyRowForAsync(phone);
        row.Status.ShouldBe("failed");
        row.Reason.ShouldNotBeNull().ShouldContain("30003");
    }

    [Fact]
    public async Task StatusCallback_WrongSignature_403AndNothingChanges()
    {
        var phone = NotificationsFactory.NewPhone();
        await factory.QueueToAsync(ChannelKind.Sms, phone);
        await factory.SendDueAsync();
        var sid = (await factory.OnlyRowForAsync(phone)).ProviderMessageId!;
        var form = new Dictionary<string, string> { ["MessageSid"] = sid, ["MessageStatus"] = "failed" };

        var response = await PostStatusAsync(form, TwilioStatusCallback.Sign(NotificationsFactory.StatusCallbackUrl, form, "not-the-auth-token"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        (await factory.OnlyRowForAsync(phone)).Status.ShouldBe("sent");
    }

    private async Task<HttpResponseMessage> PostStatusAsync(Dictionary<string, string> form, string? signature = null)
    {
        using var client = factory.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, TwilioStatusCallback.Path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? TwilioStatusCallback.Sign(NotificationsFactory.StatusCallbackUrl, form, FakeTwilio.AuthToken));
        return await client.SendAsync(request);
    }
}
