using System.Text.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Notifications.Webhooks;

/// <summary>
/// Forwards each event a tenant may subscribe to, to that tenant's matching webhook endpoints, by queuing one signed
/// message per endpoint; the Notifications pipeline retries and logs them. The event id is the source id, so an event
/// delivered twice to this subscriber is still sent once per endpoint.
/// <para>
/// The queue is resolved only when there is something to queue, so that this subscriber (and the dispatcher round it
/// runs in) does not depend on the Notifications pipeline being registered before it; without one, forwarding fails
/// and the dispatcher retries the event.
/// </para>
/// <para>
/// An instance lives for one dispatch round (it is scoped), so each tenant's endpoints are read once a round rather than
/// once an event, and an endpoint registered before an event was recorded is seen by the round that delivers it.
/// </para>
/// </summary>
public sealed class WebhookForwarder(WebhookSubscriptions webhooks, IServiceProvider services) :
    IEventHandler<ReservationHeld>,
    IEventHandler<ReservationConfirmed>,
    IEventHandler<ReservationExtended>,
    IEventHandler<ReservationCancelled>,
    IEventHandler<ReservationExpired>,
    IEventHandler<ReservationCheckedIn>,
    IEventHandler<ReservationCompleted>,
    IEventHandler<ReservationNoShow>,
    IEventHandler<ReservationStartingSoon>,
    IEventHandler<ReservationEndingSoon>,
    IEventHandler<SessionStarted>,
    IEventHandler<SessionExtended>,
    IEventHandler<SessionExpiring>,
    IEventHandler<SessionExpired>,
    IEventHandler<SessionStopped>,
    IEventHandler<PaymentSucceeded>,
    IEventHandler<PaymentFailed>,
    IEventHandler<RefundIssued>,
    IEventHandler<SensorWentOffline>,
    IEventHandler<SensorCameOnline>,
    IEventHandler<SensorBatteryLow>,
    IEventHandler<PriceChanged>
{
    public const string Kind = NotificationKinds.Webhook;

    /// <summary>The event types handled here, which are the ones an endpoint can subscribe to.</summary>
    public static IReadOnlyList<Type> HandledTypes { get; } = typeof(WebhookForwarder).GetInterfaces()
        .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEventHandler<>)).Select(i => i.GetGenericArguments()[0]).ToList();

    Task IEventHandler<ReservationHeld>.HandleAsync(ReservationHeld e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationConfirmed>.HandleAsync(ReservationConfirmed e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationExtended>.HandleAsync(ReservationExtended e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationCancelled>.HandleAsync(ReservationCancelled e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationExpired>.HandleAsync(ReservationExpired e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationCheckedIn>.HandleAsync(ReservationCheckedIn e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationCompleted>.HandleAsync(ReservationCompleted e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationNoShow>.HandleAsync(ReservationNoShow e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationStartingSoon>.HandleAsync(ReservationStartingSoon e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<ReservationEndingSoon>.HandleAsync(ReservationEndingSoon e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SessionStarted>.HandleAsync(SessionStarted e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SessionExtended>.HandleAsync(SessionExtended e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SessionExpiring>.HandleAsync(SessionExpiring e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SessionExpired>.HandleAsync(SessionExpired e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SessionStopped>.HandleAsync(SessionStopped e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<PaymentSucceeded>.HandleAsync(PaymentSucceeded e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<PaymentFailed>.HandleAsync(PaymentFailed e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<RefundIssued>.HandleAsync(RefundIssued e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SensorWentOffline>.HandleAsync(SensorWentOffline e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SensorCameOnline>.HandleAsync(SensorCameOnline e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<SensorBatteryLow>.HandleAsync(SensorBatteryLow e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);
    Task IEventHandler<PriceChanged>.HandleAsync(PriceChanged e, EventEnvelope envelope, CancellationToken ct) => ForwardAsync(envelope, ct);

    private readonly Dictionary<Guid, IReadOnlyList<WebhookTarget>> _targets = [];

    private async Task ForwardAsync(EventEnvelope envelope, CancellationToken ct)
    {
        if (envelope.TenantId is not { } tenantId) return;
        if (!_targets.TryGetValue(tenantId, out var all))
            _targets[tenantId] = all = await webhooks.TargetsAsync(tenantId, ct);
        var targets = all.Where(t => t.Takes(envelope.Type)).ToList();
        if (targets.Count == 0) return;
        var body = Body(envelope, tenantId);
        var requests = targets.Select(t => new NotificationRequest(envelope.EventId, tenantId, Kind,
            new AddressRecipient(ChannelKind.Webhook, t.Url, SigningSecret: t.SigningSecret),
            new Dictionary<string, string> { ["type"] = envelope.Type, ["body"] = body })).ToList();
        await services.GetRequiredService<INotificationQueue>().QueueAsync(requests, ct);
    }

    /// <summary>The JSON a receiver gets: the event's id (stable, for de-duplication), type, time, tenant and the event itself.</summary>
    internal static string Body(EventEnvelope envelope, Guid tenantId) => new JsonObject
    {
        ["id"] = envelope.EventId,
        ["type"] = envelope.Type,
        ["occurredAt"] = envelope.OccurredAt,
        ["tenantId"] = tenantId,
        ["data"] = JsonSerializer.SerializeToNode(envelope.Event, envelope.Event.GetType(), EventTypes.Json),
    }.ToJsonString();
}
