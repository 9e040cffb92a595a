using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>A tenant's alerts changed (null: a platform alert); fed by <see cref="AlertFeedSubscriber"/> from every node's alert events.</summary>
public sealed class AlertFeed : ChangeFeed<Guid?>;

/// <summary>On every node: alert events from any node reach this node's pages.</summary>
public sealed class AlertFeedSubscriber(AlertFeed feed) :
    IEventHandler<AlertRaised>, IEventHandler<AlertAcknowledged>, IEventHandler<AlertResolved>, IEventHandler<AlertEscalated>
{
    public Task HandleAsync(AlertRaised domainEvent, EventEnvelope envelope, CancellationToken ct) => Tell(domainEvent);

    public Task HandleAsync(AlertAcknowledged domainEvent, EventEnvelope envelope, CancellationToken ct) => Tell(domainEvent);

    public Task HandleAsync(AlertResolved domainEvent, EventEnvelope envelope, CancellationToken ct) => Tell(domainEvent);

    public Task HandleAsync(AlertEscalated domainEvent, EventEnvelope envelope, CancellationToken ct) => Tell(domainEvent);

    private Task Tell(AlertEvent e)
    {
        feed.Changed(e.TenantId);
        return Task.CompletedTask;
    }
}
