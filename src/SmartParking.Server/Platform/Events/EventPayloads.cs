using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// How an event's payload is stored: JSON in <c>payload</c>, or, for an event that names a person
/// (<see cref="IPersonalDomainEvent"/>), the JSON sealed in <c>payload_encrypted</c>, bound to the log like a module's
/// personal field. The sweep seals such events recorded in clear (before 0049) and re-seals them after a key rotation.
/// </summary>
public static class EventPayloads
{
    public static readonly FieldScope Field = new("domain_events", "payload");

    /// <summary>The payload as JSON, opened when it is sealed (a row has one or the other: the table checks it).</summary>
    public static string Text(FieldProtector protector, string? payload, byte[]? payloadEncrypted) => protector.Reveal(payloadEncrypted, payload, Field)!;

    /// <summary>The log's payloads registered with the sweep: only personal events' are sealed.</summary>
    public static ProtectedColumn Column(EventTypes types) => new(Field, "payload", "payload_encrypted",
        ClearNotPersonalSql: $"type not in ({string.Join(", ", types.PersonalNames.Select(n => $"'{n}'"))})");
}
