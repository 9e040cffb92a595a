using System.Globalization;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Notifications.Drivers;

/// <summary>
/// What drivers are told about their bookings, stays and money, from the domain events. Each event queues its message
/// with the event's id as the source, so a redelivered event is not sent twice. Times are in the lot's zone.
/// </summary>
public sealed class DriverNotifications(INotificationQueue queue, LotCatalog lots, ExtendLinks extendLinks, IOptions<NotificationOptions> options) :
    IEventHandler<ReservationConfirmed>, IEventHandler<ReservationStartingSoon>, IEventHandler<ReservationEndingSoon>, IEventHandler<SessionExpiring>,
    IEventHandler<ReservationExpired>, IEventHandler<SessionExpired>, IEventHandler<ReservationNoShow>, IEventHandler<PaymentFailed>, IEventHandler<RefundIssued>
{
    public const string SubscriberName = "notifications.drivers";

    public async Task HandleAsync(ReservationConfirmed e, EventEnvelope envelope, CancellationToken ct)
    {
        var r = e.Reservation;
        var (lot, zone) = await LotAsync(r.LotId, ct);
        await QueueAsync(envelope, r.TenantId, r.DriverId, NotificationKinds.ReservationConfirmed, new()
        {
            ["lot"] = lot, ["space"] = r.SpaceLabel, ["when"] = LocalTimes.Range(r.Start, r.End, zone), ["price"] = Money(r.Price, r.Currency),
        }, link: $"{BaseUrl}/me/receipts/{r.ReservationId}", ct: ct);
    }

    public async Task HandleAsync(ReservationStartingSoon e, EventEnvelope envelope, CancellationToken ct)
    {
        var r = e.Reservation;
        var (lot, zone) = await LotAsync(r.LotId, ct);
        await QueueAsync(envelope, r.TenantId, r.DriverId, NotificationKinds.ReservationReminder, new()
        {
            ["lot"] = lot, ["space"] = r.SpaceLabel, ["start"] = LocalTimes.Format(r.Start, zone),
        }, ct: ct);
    }

    public async Task HandleAsync(ReservationEndingSoon e, EventEnvelope envelope, CancellationToken ct)
    {
        var r = e.Reservation;
        var (lot, zone) = await LotAsync(r.LotId, ct);
        await QueueAsync(envelope, r.TenantId, r.DriverId, NotificationKinds.ReservationEndingSoon, new()
        {
            ["lot"] = lot, ["space"] = r.SpaceLabel, ["end"] = LocalTimes.Format(r.End, zone), ["minutes"] = Minutes,
        }, urgent: true, link: extendLinks.LinkFor(ExtendTarget.Reservation, r.ReservationId, r.DriverId), ct: ct);
    }

    public async Task HandleAsync(SessionExpiring e, EventEnvelope envelope, CancellationToken ct)
    {
        var s = e.Session;
        var (lot, zone) = await LotAsync(s.LotId, ct);
        await QueueAsync(envelope, s.TenantId, s.DriverId, NotificationKinds.SessionExpiring, new()
        {
            ["lot"] = lot, ["plate"] = s.Plate, ["end"] = LocalTimes.Format(s.EndsAt, zone), ["minutes"] = Minutes,
        }, urgent: true, link: extendLinks.LinkFor(ExtendTarget.Session, s.SessionId, s.DriverId), ct: ct);
    }

    public async Task HandleAsync(ReservationExpired e, EventEnvelope envelope, CancellationToken ct)
    {
        var r = e.Reservation;
        var (lot, _) = await LotAsync(r.LotId, ct);
        await QueueAsync(envelope, r.TenantId, r.DriverId, NotificationKinds.ReservationExpired, new() { ["lot"] = lot, ["space"] = r.SpaceLabel }, ct: ct);
    }

    public async Task HandleAsync(SessionExpired e, EventEnvelope envelope, CancellationToken ct)
    {
        var s = e.Session;
        var (lot, _) = await LotAsync(s.LotId, ct);
        await QueueAsync(envelope, s.TenantId, s.DriverId, NotificationKinds.SessionExpired, new()
        {
            ["lot"] = lot, ["plate"] = s.Plate, ["amount"] = Money(e.Amount, s.Currency),
        }, link: $"{BaseUrl}/me/receipts/{s.SessionId}", ct: ct);
    }

    public async Task HandleAsync(ReservationNoShow e, EventEnvelope envelope, CancellationToken ct)
    {
        // Without a fee there is nothing the driver needs to hear about.
        if (e.Fee <= 0) return;
        var r = e.Reservation;
        var (lot, _) = await LotAsync(r.LotId, ct);
        await QueueAsync(envelope, r.TenantId, r.DriverId, NotificationKinds.NoShowFee, new()
        {
            ["lot"] = lot, ["space"] = r.SpaceLabel, ["fee"] = Money(e.Fee, r.Currency),
        }, ct: ct);
    }

    public Task HandleAsync(PaymentFailed e, EventEnvelope envelope, CancellationToken ct)
    {
        var p = e.Payment;
        return QueueAsync(envelope, p.TenantId, p.DriverId, NotificationKinds.PaymentFailed, new()
        {
            ["amount"] = Money(p.Amount, p.Currency), ["reason"] = e.FailureMessage ?? e.FailureCode ?? "the payment was declined.",
        }, urgent: true, ct: ct);
    }

    public Task HandleAsync(RefundIssued e, EventEnvelope envelope, CancellationToken ct)
    {
        var p = e.Payment;
        return QueueAsync(envelope, p.TenantId, p.DriverId, NotificationKinds.RefundIssued, new()
        {
            ["amount"] = Money(e.RefundAmount, p.Currency), ["reason"] = e.Reason,
        }, link: $"{BaseUrl}/me/receipts/{p.ReferenceId}", ct: ct);
    }

    private string BaseUrl => options.Value.PublicBaseUrl.TrimEnd('/');

    private string Minutes => options.Value.ExtendMinutes.ToString(CultureInfo.InvariantCulture);

    private Task QueueAsync(EventEnvelope envelope, Guid tenantId, Guid driverId, string kind, Dictionary<string, string> fields, bool urgent = false,
        string? link = null, CancellationToken ct = default) =>
        queue.QueueAsync([new NotificationRequest(envelope.EventId, tenantId, kind, new DriverRecipient(driverId), fields, urgent, Link: link)], ct);

    private async Task<(string Name, string Zone)> LotAsync(Guid lotId, CancellationToken ct) =>
        await lots.FindAsync(lotId, ct) is { } lot ? (lot.Name, lot.TimeZone) : ("your lot", "UTC");

    /// <summary>The amount with its currency code, e.g. "45.00 DKK": the code, not a symbol, reads the same in any language.</summary>
    public static string Money(decimal amount, string currency) => $"{amount.ToString("0.00", CultureInfo.InvariantCulture)} {currency.Trim()}";
}
