using System.Net.Http.Json;
using System.Net;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Platform.Errors;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

public sealed class DeliveryPolicyTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    private static readonly Dictionary<string, string> Refund = new() { ["amount"] = "25.00 DKK", ["reason"] = "Cancelled in time" };

    private Task QueueForDriverAsync(TestAccount driver, string kind = "refund_issued", bool urgent = false, bool marketing = false, Guid? eventId = null,
        IReadOnlyDictionary<string, string>? fields = null) =>
        factory.Queue.QueueAsync([new NotificationRequest(eventId ?? Guid.NewGuid(), factory.TenantId, kind, new DriverRecipient(driver.Id), fields ?? Refund, urgent, marketing)],
            CancellationToken.None);

    [Fact]
    public async Task SendDue_EleventhMessageInAnHour_WaitsForTheWindowAndUrgentPasses()
    {
        var driver = await factory.RegisterDriverAsync();
        for (var i = 0; i < 11; i++) await QueueForDriverAsync(driver);

        await factory.SendDueAsync();

        var rows = await factory.RowsForAsync(driver.Email);
        rows.Count(r => r.Status == "sent").ShouldBe(10);
        var waiting = rows.Where(r => r.Status == "queued").ShouldHaveSingleItem();
        waiting.Reason.ShouldNotBeNull().ShouldContain("Hourly limit of 10");
        waiting.NextAttemptAt.ShouldBe(factory.Clock.GetUtcNow().AddHours(1), TimeSpan.FromSeconds(1));
        waiting.Attempts.ShouldBe(0, "waiting for the window is not a failed attempt");

        await QueueForDriverAsync(driver, "payment_failed", urgent: true, fields: new Dictionary<string, string> { ["amount"] = "9.00 DKK", ["reason"] = "Card declined" });
        await factory.SendDueAsync();
        (await factory.RowsForAsync(driver.Email)).Count(r => r.Status == "sent").ShouldBe(11, "the urgent one is exempt from the cap");

        factory.Clock.Advance(TimeSpan.FromMinutes(61));
        await factory.SendDueAsync();
        (await factory.RowsForAsync(driver.Email)).ShouldAllBe(r => r.Status == "sent");
    }

    [Fact]
    public async Task SendDue_InQuietHours_NonUrgentWaitsUntilTheyEndAndUrgentGoesNow()
    {
        var driver = await factory.RegisterDriverAsync();
        const string zone = "America/New_York";
        var local = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(zone));
        var (start, end) = (local.AddHours(-1), local.AddHours(1));
        using var client = factory.ClientFor(driver);
        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { quietHours = new { start = start.ToString("HH:mm"), end = end.ToString("HH:mm"), timeZone = zone } }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        await QueueForDriverAsync(driver);
        await QueueForDriverAsync(driver, "payment_failed", urgent: true, fields: new Dictionary<string, string> { ["amount"] = "9.00 DKK", ["reason"] = "Card declined" });
        await factory.SendDueAsync();

        var rows = await factory.RowsForAsync(driver.Email);
        rows.Single(r => r.Status == "sent").ShouldNotBeNull();
        var waiting = rows.Single(r => r.Status == "queued");
        waiting.Reason.ShouldNotBeNull().ShouldStartWith("Quiet hours until");
        // The end is a local minute ("HH:mm"), so up to a minute before the instant an hour from now.
        waiting.NextAttemptAt.ShouldBe(factory.Clock.GetUtcNow().AddHours(1), TimeSpan.FromMinutes(1));

        factory.Clock.Advance(TimeSpan.FromMinutes(61));
        await factory.SendDueAsync();
        (await factory.RowsForAsync(driver.Email)).ShouldAllBe(r => r.Status == "sent");
    }

    [Fact]
    public async Task Queue_SameEventTwice_OneMessageIsSent()
    {
        var driver = await factory.RegisterDriverAsync();
        var eventId = Guid.NewGuid();

        await QueueForDriverAsync(driver, eventId: eventId);
        await QueueForDriverAsync(driver, eventId: eventId);
        await factory.SendDueAsync();

        (await factory.OnlyRowForAsync(driver.Email)).Status.ShouldBe("sent");
        (await factory.Smtp.WaitForAsync(driver.Email)).ShouldNotBeNull();
        factory.Smtp.To(driver.Email).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Queue_AddressAndTextsAreSealedAtRest_AndStillSentAndShown()
    {
        var driver = await factory.RegisterDriverAsync();
        var eventId = Guid.NewGuid();
        await QueueForDriverAsync(driver, eventId: eventId, fields: new Dictionary<string, string> { ["amount"] = "25.00 DKK", ["reason"] = "Plate XK 41 772 left early" });

        // Nothing of it in clear: not the address, not the texts, not in any column of the row.
        var row = await factory.ScalarAsync<string>("select n::text from notification_messages n where driver_id = $1", driver.Id);
        row.ShouldNotContain(driver.Email, Case.Insensitive);
        row.ShouldNotContain("XK 41 772");
        (await factory.ScalarAsync<long>("select count(*) from notification_messages where driver_id = $1 and address is null and body_text is null and body_html is null",
            driver.Id)).ShouldBe(1);

        // The same event again is still one message: the send-once key holds the address's blind index.
        await QueueForDriverAsync(driver, eventId: eventId);
        await factory.SendDueAsync();
        (await factory.OnlyRowForAsync(driver.Email)).Status.ShouldBe("sent");
        (await factory.Smtp.WaitForAsync(driver.Email)).TextBody.ShouldNotBeNull().ShouldContain("XK 41 772");

        // The driver's own log shows the address opened.
        using var client = factory.ClientFor(driver);
        var mine = await client.GetJsonAsync("/api/v1/me/notifications");
        mine.GetProperty("items").EnumerateArray().Single().GetProperty("address").GetString().ShouldBe(driver.Email);
    }

    [Fact]
    public async Task Queue_MarketingWithoutConsent_SuppressedAndNotSent()
    {
        var driver = await factory.RegisterDriverAsync();
        var news = new Dictionary<string, string> { ["title"] = "New lots downtown", ["detail"] = "Three new garages." };

        await QueueForDriverAsync(driver, "marketing", marketing: true, fields: news);
        await factory.SendDueAsync();

        var row = await factory.OnlyRowForAsync(driver.Email);
        row.Status.ShouldBe("suppressed");
        row.Reason.ShouldNotBeNull().ShouldContain("not agreed to marketing");
        factory.Smtp.To(driver.Email).ShouldBeEmpty();
    }

    [Fact]
    public async Task Queue_MarketingWithConsent_IsSent()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { marketing = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        await QueueForDriverAsync(driver, "marketing", marketing: true, fields: new Dictionary<string, string> { ["title"] = "New lots downtown", ["detail"] = "Three new garages." });
        await factory.SendDueAsync();

        (await factory.Smtp.WaitForAsync(driver.Email)).Subject.ShouldBe("New lots downtown");
    }

    [Fact]
    public async Task Queue_MarketingConsentWithdrawnBeforeSending_Suppressed()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { marketing = true, quietHours = QuietNow() })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await QueueForDriverAsync(driver, "marketing", marketing: true, fields: new Dictionary<string, string> { ["title"] = "Offer", ["detail"] = "Half price." });
        await factory.SendDueAsync();
        (await factory.OnlyRowForAsync(driver.Email)).Status.ShouldBe("queued");

        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { marketing = false })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        factory.Clock.Advance(TimeSpan.FromHours(2));
        await factory.SendDueAsync();

        (await factory.OnlyRowForAsync(driver.Email)).Status.ShouldBe("suppressed");
    }

    [Fact]
    public async Task Queue_DriverChoseSmsAndPhone_SmsGoesToTheirNumber()
    {
        var driver = await factory.RegisterDriverAsync();
        var phone = NotificationsFactory.NewPhone();
        using var client = factory.ClientFor(driver);
        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { phone, channels = new Dictionary<string, string[]> { ["refund_issued"] = ["sms"] } }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        await QueueForDriverAsync(driver);
        await factory.SendDueAsync();

        factory.Twilio.CallsTo(phone).ShouldHaveSingleItem().Body.ShouldContain("25.00 DKK");
        (await factory.RowsForAsync(driver.Email)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(ChannelKind.Email, "not-an-address")]
    [InlineData(ChannelKind.Sms, "12345")]
    public async Task Queue_InvalidAddress_RefusedNamingTheField(ChannelKind channel, string address)
    {
        var error = await Should.ThrowAsync<ValidationException>(() => factory.QueueToAsync(channel, address));

        error.Errors.Keys.ShouldBe(["address"]);
    }

    private object QuietNow()
    {
        const string zone = "Asia/Tokyo";
        var local = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById(zone));
        return new { start = local.AddMinutes(-30).ToString("HH:mm"), end = local.AddMinutes(90).ToString("HH:mm"), timeZone = zone };
    }
}
