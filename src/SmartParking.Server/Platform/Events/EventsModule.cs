using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// A subscriber as registered: its name (its checkpoint's key), where it runs, the types it handles, and whether their
/// commit wakes the dispatcher at once (otherwise they wait for its next poll, at most Events:PollMilliseconds).
/// </summary>
public sealed record EventSubscription(string Name, EventDelivery Delivery, Type SubscriberType, IReadOnlyCollection<Type> EventTypes, bool Wakes = true);

public static class EventsModule
{
    public static void AddEvents(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<EventOptions>().Bind(builder.Configuration.GetSection(EventOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EventTypes>();
        builder.Services.AddSingleton(sp => EventPayloads.Column(sp.GetRequiredService<EventTypes>()));
        builder.Services.AddSingleton<EventOutbox>();
        builder.Services.AddSingleton<EventDispatcher>();
        builder.Services.AddSingleton<DeadLetters>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventDispatcher>());
    }

    /// <summary>
    /// Registers a subscriber: a class implementing <see cref="IEventHandler{TEvent}"/> for each event type it wants.
    /// The name keys its durable checkpoint, so keep it stable (e.g. "notifications.drivers"). A subscriber that can
    /// wait a poll (rollups) passes wakes: false, so busy writers of its types (ingest, many batches a second) do not
    /// wake every node for each.
    /// </summary>
    public static IServiceCollection AddEventSubscriber<TSubscriber>(this IServiceCollection services, string name, EventDelivery delivery, bool wakes = true)
        where TSubscriber : class
    {
        var handled = typeof(TSubscriber).GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEventHandler<>))
            .Select(i => i.GetGenericArguments()[0]).ToList();
        if (handled.Count == 0) throw new InvalidOperationException($"{typeof(TSubscriber)} handles no event type");
        services.AddSingleton(new EventSubscription(name, delivery, typeof(TSubscriber), handled, wakes));
        // A module may register the subscriber itself first (a singleton holding node state); otherwise one per batch.
        services.TryAddScoped<TSubscriber>();
        return services;
    }
}
