using System.Threading.Channels;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>
/// Tells this node's open pages that a tenant's alerts changed (null: a platform alert), so they reload without a
/// refresh. Fed by the node that made a change, at once, and by <see cref="AlertFeedSubscriber"/> on every node from
/// the alert events; a page hearing the same change twice only reloads twice.
/// </summary>
public sealed class AlertFeed
{
    private readonly Lock _gate = new();
    private readonly List<Channel<Guid?>> _subscribers = [];

    public void Changed(Guid? tenantId)
    {
        lock (_gate)
            foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(tenantId);
    }

    /// <summary>Changes from now until <paramref name="ct"/> is cancelled; a slow reader loses only repeats.</summary>
    public ChannelReader<Guid?> Subscribe(CancellationToken ct)
    {
        var channel = Channel.CreateBounded<Guid?>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate) _subscribers.Add(channel);
        ct.Register(() =>
        {
            lock (_gate) _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }
}

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
