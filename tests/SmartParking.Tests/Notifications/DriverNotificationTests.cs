using SmartParking.Server.Modules.Notifications;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications.Drivers;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

public sealed class DriverNotificationTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    public static TheoryData<string, string, string, string> Events => new()
    {
        { nameof(ReservationConfirmed), "en", "reservation_confirmed", "is confirmed" },
        { nameof(ReservationConfirmed), "da", "reservation_confirmed", "er bekræftet" },
        { nameof(ReservationStartingSoon), "en", "reservation_reminder", "starts soon" },
        { nameof(ReservationStartingSoon), "da", "reservation_reminder", "begynder snart" },
        { nameof(ReservationEndingSoon), "en", "reservation_ending_soon", "ends at" },
        { nameof(ReservationEndingSoon), "da", "reservation_ending_soon", "slutter" },
        { nameof(SessionExpiring), "en", "session_expiring", "runs out at" },
        { nameof(SessionExpiring), "da", "session_expiring", "udløber" },
        { nameof(ReservationExpired), "en", "reservation_expired", "was not paid in time" },
        { nameof(ReservationExpired), "da", "reservation_expired", "blev ikke betalt i tide" },
        { nameof(SessionExpired), "en", "session_expired", "has ended" },
        { nameof(SessionExpired), "da", "session_expired", "er slut" },
        { nameof(ReservationNoShow), "en", "no_show_fee", "No-show fee" },
        { nameof(ReservationNoShow), "da", "no_show_fee", "Udeblivelsesgebyr" },
        { nameof(PaymentFailed), "en", "payment_failed", "failed" },
        { nameof(PaymentFailed), "da", "payment_failed", "mislykkedes" },
        { nameof(RefundIssued), "en", "refund_issued", "Refund of 12.50 DKK" },
        { nameof(RefundIssued), "da", "refund_issued", "Refusion af 12.50 DKK" },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public async Task HandleAsync_EachDriverEvent_QueuesItsMessageInTheDriversLanguage(string eventName, string language, string kind, string inSubject)
    {
        var (driver, lotId) = await DriverWithLotAsync(language);
        var domainEvent = Event(eventName, driver.Id, lotId);

        await HandleAsync(domainEvent, Guid.NewGuid());

        var (subject, text, html, urgent) = await MessageAsync(driver.Id, kind);
        subject.ShouldContain(inSubject);
        text.ShouldNotContain("{");
        html.ShouldContain($"<html lang=\"{language}\">");
        urgent.ShouldBe(kind is "reservation_ending_soon" or "session_expiring" or "payment_failed");
    }

    [Fact]
    public async Task HandleAsync_ReservationConfirmed_LinksTheReceiptAndShowsLocalTime()
    {
        var (driver, lotId) = await DriverWithLotAsync("en");
        var confirmed = (ReservationConfirmed)Event(nameof(ReservationConfirmed), driver.Id, lotId);

        await HandleAsync(confirmed, Guid.NewGuid());

        var (_, text, html, _) = await MessageAsync(driver.Id, "reservation_confirmed");
        text.ShouldContain($"https://parking.example.org/me/receipts/{confirmed.Reservation.ReservationId}");
        text.ShouldContain("(Europe/Copenhagen)");
        text.ShouldContain("12.50 DKK");
        html.ShouldContain($"href=\"https://parking.example.org/me/receipts/{confirmed.Reservation.ReservationId}\"");
    }

    [Fact]
    public async Task HandleAsync_SameEventDeliveredTwice_QueuedOnce()
    {
        var (driver, lotId) = await DriverWithLotAsync("en");
        var confirmed = Event(nameof(ReservationConfirmed), driver.Id, lotId);
        var eventId = Guid.NewGuid();

        await HandleAsync(confirmed, eventId);
        await HandleAsync(confirmed, eventId);

        (await factory.ScalarAsync<long>("select count(*) from notification_messages where driver_id = $1", driver.Id)).ShouldBe(1);
    }

    [Fact]
    public async Task HandleAsync_NoShowWithoutFee_NothingQueued()
    {
        var (driver, lotId) = await DriverWithLotAsync("en");
        var facts = Reservation(driver.Id, lotId);

        await HandleAsync(new ReservationNoShow(facts, 0m), Guid.NewGuid());

        (await factory.ScalarAsync<long>("select count(*) from notification_messages where driver_id = $1", driver.Id)).ShouldBe(0);
    }

    [Fact]
    public async Task HandleAsync_MarkupInValues_EncodedInHtml()
    {
        var (driver, lotId) = await DriverWithLotAsync("en");
        var failed = new PaymentFailed(new PaymentFacts(Guid.NewGuid(), factory.TenantId, driver.Id, PaymentPurpose.Session, Guid.NewGuid(), 9m, "EUR", "UTC"),
            "card_declined", "<script>alert(1)</script>");

        await HandleAsync(failed, Guid.NewGuid());

        var (_, text, html, _) = await MessageAsync(driver.Id, "payment_failed");
        html.ShouldNotContain("<script>");
        html.ShouldContain("&lt;script&gt;");
        text.ShouldContain("<script>alert(1)</script>", customMessage: "the text part is plain text, not markup");
    }

    [Fact]
    public async Task ExtendLink_OneTapOnASession_ExtendsItAndSaysUntilWhen()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        using var op = factory.OperatorClient();
        var lot = Payloads.Lot("Always open");
        lot["openingHours"] = new System.Text.Json.Nodes.JsonArray();
        var lotId = (await op.CreateLotAsync(lot)).Id();
        await (await client.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var session = await (await client.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "AB 12 345", durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var endsAt = session.GetProperty("endsAt").GetDateTimeOffset();
        var link = new Uri(factory.Services.GetRequiredService<ExtendLinks>().LinkFor(ExtendTarget.Session, session.Id(), driver.Id));
        using var browser = factory.Anonymous();

        var page = await browser.GetAsync(link.PathAndQuery);
        (await page.Content.ReadAsStringAsync()).ShouldContain("Extend by 30 minutes");
        var extended = await browser.PostAsync(link.PathAndQuery, null);

        extended.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await extended.Content.ReadAsStringAsync()).ShouldContain("now ends");
        (await client.GetJsonAsync($"/api/v1/sessions/{session.Id()}")).GetProperty("endsAt").GetDateTimeOffset().ShouldBe(endsAt.AddMinutes(30));
    }

    [Fact]
    public async Task ExtendLink_ForgedToken_410AndNothingExtended()
    {
        using var browser = factory.Anonymous();

        var response = await browser.PostAsync(ExtendLinks.PathPrefix + "not-a-real-token", null);

        response.StatusCode.ShouldBe(HttpStatusCode.Gone);
    }

    private async Task HandleAsync(IDomainEvent domainEvent, Guid eventId)
    {
        var handler = factory.Services.GetRequiredService<DriverNotifications>();
        var envelope = new EventEnvelope(eventId, 1, domainEvent.GetType().Name, domainEvent.AggregateId, domainEvent.TenantId, factory.Clock.GetUtcNow(), domainEvent, 1);
        // The dispatcher calls the handler through its IEventHandler<T> for the event's type.
        var handle = typeof(IEventHandler<>).MakeGenericType(domainEvent.GetType()).GetMethod("HandleAsync")!;
        await (Task)handle.Invoke(handler, [domainEvent, envelope, CancellationToken.None])!;
    }

    private async Task<(TestAccount Driver, Guid LotId)> DriverWithLotAsync(string language)
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);
        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { language })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        using var op = factory.OperatorClient();
        var lotId = (await op.CreateLotAsync(Payloads.Lot("Harbour Garage"))).Id();
        return (driver, lotId);
    }

    private ReservationFacts Reservation(Guid driverId, Guid lotId)
    {
        var start = factory.Clock.GetUtcNow().AddHours(1);
        return new ReservationFacts(Guid.NewGuid(), factory.TenantId, driverId, lotId, Guid.NewGuid(), "A-12", "standard", start, start.AddHours(2), "confirmed", 12.5m, "DKK");
    }

    private IDomainEvent Event(string name, Guid driverId, Guid lotId)
    {
        var r = Reservation(driverId, lotId);
        var s = new SessionFacts(Guid.NewGuid(), factory.TenantId, driverId, lotId, null, "AB 12 345", factory.Clock.GetUtcNow(), factory.Clock.GetUtcNow().AddMinutes(15), 20m, "DKK");
        var p = new PaymentFacts(Guid.NewGuid(), factory.TenantId, driverId, PaymentPurpose.Reservation, r.ReservationId, 12.5m, "DKK", "Europe/Copenhagen");
        return name switch
        {
            nameof(ReservationConfirmed) => new ReservationConfirmed(r),
            nameof(ReservationStartingSoon) => new ReservationStartingSoon(r),
            nameof(ReservationEndingSoon) => new ReservationEndingSoon(r),
            nameof(SessionExpiring) => new SessionExpiring(s),
            nameof(ReservationExpired) => new ReservationExpired(r),
            nameof(SessionExpired) => new SessionExpired(s, 7.5m),
            nameof(ReservationNoShow) => new ReservationNoShow(r, 12.5m),
            nameof(PaymentFailed) => new PaymentFailed(p, "card_declined", "Your card was declined."),
            nameof(RefundIssued) => new RefundIssued(p, Guid.NewGuid(), 12.5m, "Cancelled in time"),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    private async Task<(string Subject, string Text, string Html, bool Urgent)> MessageAsync(Guid driverId, string kind)
    {
        await using var command = factory.Sql.CreateCommand("select subject, body_text_encrypted, body_html_encrypted, urgent from notification_messages where driver_id = $1 and kind = $2");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = driverId });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = kind });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue($"no {kind} message was queued");
        return (reader.GetString(0), factory.OpenNotificationField((byte[])reader[1], NotificationFields.BodyText),
            factory.OpenNotificationField((byte[])reader[2], NotificationFields.BodyHtml), reader.GetBoolean(3));
    }
}
