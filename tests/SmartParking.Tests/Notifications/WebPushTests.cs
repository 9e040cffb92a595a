using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Push;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>Drivers' push subscriptions through the API, and the Web Push channel against a local push service that checks VAPID and decrypts.</summary>
public sealed class WebPushTests(ChannelsFactory factory) : IClassFixture<ChannelsFactory>
{
    private WebPushChannel Channel => factory.Channel<WebPushChannel>();

    private async Task<(TestAccount Driver, HttpClient Client)> DriverWithDevicesAsync(params FakePushService.BrowserSubscription[] devices)
    {
        var driver = await factory.RegisterDriverAsync();
        var client = factory.ClientFor(driver);
        foreach (var device in devices)
            await (await client.PostAsJsonAsync("/api/v1/me/push-subscriptions", device.Json)).ShouldHaveStatusAsync(HttpStatusCode.Created);
        return (driver, client);
    }

    private static OutgoingMessage MessageTo(TestAccount driver, bool urgent = false) =>
        new(Guid.NewGuid(), driver.Id.ToString(), "Your space is ready", "Space 12 at Harbour Garage, 10:00–12:00.", null, "/me", Urgent: urgent);

    private async Task<IReadOnlyList<string>> DeviceEndpointsAsync(HttpClient client) =>
        (await client.GetJsonAsync("/api/v1/me/push-subscriptions")).EnumerateArray().Select(d => d.Str("endpoint")).ToList();

    [Fact]
    public async Task Send_SubscribedDevice_ArrivesDecryptedWithValidVapid()
    {
        var device = factory.PushService.Subscribe();
        var (driver, client) = await DriverWithDevicesAsync(device);
        using (client)
        {
            var message = MessageTo(driver, urgent: true);

            var result = (await Channel.SendAsync([message], CancellationToken.None)).Single();

            result.ShouldBe(new ChannelResult(message.MessageId, DeliveryOutcome.Sent), string.Join("; ", factory.PushService.Refusals));
            var delivery = factory.PushService.DeliveriesTo(device).ShouldHaveSingleItem();
            var payload = JsonNode.Parse(delivery.Payload)!;
            payload["title"]!.GetValue<string>().ShouldBe(message.Subject);
            payload["body"]!.GetValue<string>().ShouldBe(message.Text);
            payload["url"]!.GetValue<string>().ShouldBe("/me");
            delivery.Ttl.ShouldBe(ChannelsFactory.PushTtlSeconds);
            delivery.Urgency.ShouldBe("high");
            using var anonymous = factory.Anonymous();
            delivery.VapidPublicKey.ShouldBe((await anonymous.GetJsonAsync("/api/v1/notifications/web-push/public-key")).Str("publicKey"));
        }
    }

    [Fact]
    public async Task PublicKey_AskedTwice_IsOneKeyKeptInTheDatabase()
    {
        using var anonymous = factory.Anonymous();

        var first = (await anonymous.GetJsonAsync("/api/v1/notifications/web-push/public-key")).Str("publicKey");
        var second = (await anonymous.GetJsonAsync("/api/v1/notifications/web-push/public-key")).Str("publicKey");

        second.ShouldBe(first);
        (await factory.ScalarAsync<string>("select public_key from web_push_vapid_keys")).ShouldBe(first);
        System.Buffers.Text.Base64Url.DecodeFromChars(first).Length.ShouldBe(65);
    }

    [Fact]
    public async Task Send_PushServiceAnswers410_RemovesThatSubscription()
    {
        var (kept, gone) = (factory.PushService.Subscribe(), factory.PushService.Subscribe());
        factory.PushService.Answer(gone, 410);
        var (driver, client) = await DriverWithDevicesAsync(kept, gone);
        using (client)
        {
            var result = (await Channel.SendAsync([MessageTo(driver)], CancellationToken.None)).Single();

            result.Outcome.ShouldBe(DeliveryOutcome.Sent);
            (await DeviceEndpointsAsync(client)).ShouldBe([kept.Endpoint.ToString()]);
        }
    }

    [Fact]
    public async Task Send_OnlyDeviceAnswers404_AddressGone()
    {
        var device = factory.PushService.Subscribe();
        factory.PushService.Answer(device, 404);
        var (driver, client) = await DriverWithDevicesAsync(device);
        using (client)
        {
            (await Channel.SendAsync([MessageTo(driver)], CancellationToken.None)).Single().Outcome.ShouldBe(DeliveryOutcome.AddressGone);
            (await DeviceEndpointsAsync(client)).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task Send_PushServiceAnswers429_TransientWithRetryAfterAndKeepsSubscription()
    {
        var device = factory.PushService.Subscribe();
        factory.PushService.Answer(device, 429, retryAfter: "120");
        var (driver, client) = await DriverWithDevicesAsync(device);
        using (client)
        {
            var result = (await Channel.SendAsync([MessageTo(driver)], CancellationToken.None)).Single();

            result.Outcome.ShouldBe(DeliveryOutcome.TransientFailure);
            result.RetryAfter.ShouldBe(TimeSpan.FromSeconds(120));
            (await DeviceEndpointsAsync(client)).ShouldBe([device.Endpoint.ToString()]);
        }
    }

    [Theory]
    [InlineData(413)]
    [InlineData(400)]
    public async Task Send_PushServiceRefusesTheMessage_PermanentFailure(int status)
    {
        var device = factory.PushService.Subscribe();
        factory.PushService.Answer(device, status);
        var (driver, client) = await DriverWithDevicesAsync(device);
        using (client)
            (await Channel.SendAsync([MessageTo(driver)], CancellationToken.None)).Single().Outcome.ShouldBe(DeliveryOutcome.PermanentFailure);
    }

    [Fact]
    public async Task Send_RetriedAfterOneDeviceAnswered500_OnlyTheMissedDeviceGetsItAgain()
    {
        var (healthy, failing) = (factory.PushService.Subscribe(), factory.PushService.Subscribe());
        factory.PushService.Answer(failing, 500);
        var (driver, client) = await DriverWithDevicesAsync(healthy, failing);
        using (client)
        {
            var message = MessageTo(driver);
            (await Channel.SendAsync([message], CancellationToken.None)).Single().Outcome.ShouldBe(DeliveryOutcome.TransientFailure);

            factory.PushService.AnswerNormally(failing);
            (await Channel.SendAsync([message], CancellationToken.None)).Single().Outcome.ShouldBe(DeliveryOutcome.Sent);
            // A third attempt (the pipeline lost the answer) sends nothing more.
            (await Channel.SendAsync([message], CancellationToken.None)).Single().Outcome.ShouldBe(DeliveryOutcome.Sent);

            factory.PushService.DeliveriesTo(healthy).Count.ShouldBe(1);
            factory.PushService.DeliveriesTo(failing).Count.ShouldBe(1);
        }
    }

    [Fact]
    public async Task Send_DriverWithoutDevices_AddressGone()
    {
        var driver = await factory.RegisterDriverAsync();
        (await Channel.SendAsync([MessageTo(driver)], CancellationToken.None)).Single().Outcome.ShouldBe(DeliveryOutcome.AddressGone);
    }

    public static TheoryData<string, string> InvalidSubscriptions => new()
    {
        { """{"endpoint":"not a url","keys":{"p256dh":"{p256dh}","auth":"{auth}"}}""", "endpoint" },
        { """{"endpoint":"ftp://push.example.org/x","keys":{"p256dh":"{p256dh}","auth":"{auth}"}}""", "endpoint" },
        { """{"keys":{"p256dh":"{p256dh}","auth":"{auth}"}}""", "endpoint" },
        { """{"endpoint":"{endpoint}","keys":{"p256dh":"AAAA","auth":"{auth}"}}""", "keys.p256dh" },
        { """{"endpoint":"{endpoint}","keys":{"p256dh":"{p256dh}!","auth":"{auth}"}}""", "keys.p256dh" },
        { """{"endpoint":"{endpoint}","keys":{"p256dh":"{p256dh}","auth":"AAAAAAAA"}}""", "keys.auth" },
        { """{"endpoint":"{endpoint}"}""", "keys.p256dh" },
        { """{"endpoint":"{endpoint}"}""", "keys.auth" },
    };

    [Theory]
    [MemberData(nameof(InvalidSubscriptions))]
    public async Task Subscribe_InvalidField_Returns400NamingTheField(string template, string field)
    {
        var device = factory.PushService.Subscribe();
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var body = template.Replace("{endpoint}", device.Endpoint.ToString(), StringComparison.Ordinal)
            .Replace("{p256dh}", device.P256dh, StringComparison.Ordinal).Replace("{auth}", device.Auth, StringComparison.Ordinal);

        var response = await client.PostAsync("/api/v1/me/push-subscriptions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
        (await DeviceEndpointsAsync(client)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Subscribe_PointNotOnTheCurve_Returns400NamingP256dh()
    {
        var device = factory.PushService.Subscribe();
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        var notAPoint = System.Buffers.Text.Base64Url.EncodeToString([0x04, .. new byte[64]]);

        var response = await client.PostAsJsonAsync("/api/v1/me/push-subscriptions", new { endpoint = device.Endpoint, keys = new { p256dh = notAPoint, auth = device.Auth } });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "keys.p256dh");
    }

    [Fact]
    public async Task Unsubscribe_ByEndpoint_RemovesOnlyThatDeviceAndOnlyTheCallers()
    {
        var (phone, laptop) = (factory.PushService.Subscribe(), factory.PushService.Subscribe());
        var (_, client) = await DriverWithDevicesAsync(phone, laptop);
        var (_, other) = await DriverWithDevicesAsync();
        using (client)
        using (other)
        {
            var path = "/api/v1/me/push-subscriptions?endpoint=" + Uri.EscapeDataString(phone.Endpoint.ToString());
            await (await other.DeleteAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound);

            await (await client.DeleteAsync(path)).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

            (await DeviceEndpointsAsync(client)).ShouldBe([laptop.Endpoint.ToString()]);
        }
    }

    [Fact]
    public async Task Subscribe_SameBrowserSignedInAsAnotherDriver_MovesTheSubscription()
    {
        var browser = factory.PushService.Subscribe();
        var (_, first) = await DriverWithDevicesAsync(browser);
        var (_, second) = await DriverWithDevicesAsync(browser);
        using (first)
        using (second)
        {
            (await DeviceEndpointsAsync(first)).ShouldBeEmpty();
            (await DeviceEndpointsAsync(second)).ShouldBe([browser.Endpoint.ToString()]);
        }
    }

    [Fact]
    public async Task SendTest_SubscribedDriver_PushArrivesAndAnswerSaysSent()
    {
        var device = factory.PushService.Subscribe();
        var (_, client) = await DriverWithDevicesAsync(device);
        using (client)
        {
            var answer = await (await client.PostAsync("/api/v1/me/push-subscriptions/test", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

            answer.Str("outcome").ShouldBe("sent");
            factory.PushService.DeliveriesTo(device).ShouldHaveSingleItem();
        }
    }

    [Fact]
    public async Task Subscribe_Anonymous_Returns401()
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.PostAsJsonAsync("/api/v1/me/push-subscriptions", factory.PushService.Subscribe().Json)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }
}
