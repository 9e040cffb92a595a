using System.Threading.Channels;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// Tells this node's open pages that something changed, so they reload without a refresh. Fed by the node that made a
/// change, at once, and on every node by an every-node event subscriber; a page hearing a change twice reloads twice.
/// </summary>
public class ChangeFeed<T>
{
    private readonly Lock _gate = new();
    private readonly List<Channel<T>> _subscribers = [];

    public void Changed(T change)
    {
        lock (_gate)
            foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(change);
    }

    /// <summary>Changes from now until <paramref name="ct"/> is cancelled; a slow reader loses only the oldest.</summary>
    public ChannelReader<T> Subscribe(CancellationToken ct)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate) _subscribers.Add(channel);
        ct.Register(() =>
        {
            lock (_gate) _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }
}
