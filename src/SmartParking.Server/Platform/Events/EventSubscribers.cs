using System.Reflection;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// A registered subscriber made callable: which stored event types it takes, and a delegate per type that calls the
/// right IEventHandler&lt;T&gt; (the most specific one, so a handler of an abstract base takes every derived event).
/// </summary>
internal sealed class BoundSubscriber
{
    public delegate Task Invoker(object subscriber, IDomainEvent domainEvent, EventEnvelope envelope, CancellationToken ct);

    private readonly Dictionary<Type, Invoker> _invokers = [];

    public BoundSubscriber(EventSubscription subscription, EventTypes types)
    {
        Subscription = subscription;
        var invoke = typeof(BoundSubscriber).GetMethod(nameof(Invoke), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var concrete in types.TakenBy(subscription))
        {
            var handled = subscription.EventTypes.Where(h => h.IsAssignableFrom(concrete)).OrderByDescending(h => Depth(h)).First();
            _invokers[concrete] = invoke.MakeGenericMethod(handled).CreateDelegate<Invoker>();
        }
        TypeNames = _invokers.Keys.Select(types.NameOf).Order().ToArray();
        _typeNames = [.. TypeNames];
    }

    private readonly HashSet<string> _typeNames;

    public bool Takes(string typeName) => _typeNames.Contains(typeName);

    public EventSubscription Subscription { get; }

    public string Name => Subscription.Name;

    /// <summary>The stored names of the types it takes, for reading only those from the log.</summary>
    public string[] TypeNames { get; }

    public Task HandleAsync(object subscriber, EventEnvelope envelope, CancellationToken ct) =>
        _invokers.TryGetValue(envelope.Event.GetType(), out var invoker) ? invoker(subscriber, envelope.Event, envelope, ct) : Task.CompletedTask;

    private static Task Invoke<T>(object subscriber, IDomainEvent domainEvent, EventEnvelope envelope, CancellationToken ct) where T : IDomainEvent =>
        ((IEventHandler<T>)subscriber).HandleAsync((T)domainEvent, envelope, ct);

    private static int Depth(Type type)
    {
        var depth = 0;
        for (var t = type; t is not null; t = t.BaseType) depth++;
        return depth;
    }
}
