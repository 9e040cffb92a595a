namespace SmartParking.Server.Platform.Events;

/// <summary>
/// Something that happened in a module, recorded in the outbox in the same transaction as the change it describes.
/// Events are immutable records owned by the module that raises them (in its contracts); their class name is their
/// stored type name, so a rename is a breaking change.
/// </summary>
public interface IDomainEvent
{
    /// <summary>The thing the event is about (a reservation, a lot, a sensor): delivery is in order per aggregate.</summary>
    string AggregateId { get; }

    /// <summary>The tenant the event belongs to, or null for platform-wide events.</summary>
    Guid? TenantId { get; }
}

/// <summary>
/// An event that names a person (a plate, a chat user): its payload is recorded sealed (see <see cref="EventPayloads"/>)
/// and opened for its subscribers, so the event log holds no such data in clear.
/// </summary>
public interface IPersonalDomainEvent : IDomainEvent;

/// <summary>An event as the dispatcher hands it over: with its id (for duplicate suppression) and place in the log.</summary>
public sealed record EventEnvelope(Guid EventId, long Position, string Type, string AggregateId, Guid? TenantId, DateTimeOffset OccurredAt, IDomainEvent Event, int Attempt);

/// <summary>
/// Handles one event type for a subscriber. A subscriber class implements it once per type it wants; delivery is at
/// least once, so a handler must be idempotent (the envelope's EventId is stable across redeliveries).
/// Throwing <see cref="PermanentEventFailure"/> dead-letters the event at once; any other exception is retried with backoff.
/// </summary>
public interface IEventHandler<in TEvent> where TEvent : IDomainEvent
{
    Task HandleAsync(TEvent domainEvent, EventEnvelope envelope, CancellationToken ct);
}

/// <summary>Where a subscriber runs.</summary>
public enum EventDelivery
{
    /// <summary>
    /// Once for the whole deployment, on whichever node dispatches (a durable checkpoint in the database; retries with
    /// backoff, then the dead-letter list). For work with effects outside the node: messages, rollups, alerts.
    /// </summary>
    Durable,

    /// <summary>
    /// On every node, from the log's end at start-up (for state each node keeps in memory and reloads when it starts,
    /// such as availability's reserved spaces and prices).
    /// </summary>
    EveryNode,
}

/// <summary>A failure retrying cannot fix (bad data, a deleted target): the event goes to the dead-letter list at once.</summary>
public sealed class PermanentEventFailure(string message, Exception? inner = null) : Exception(message, inner);
