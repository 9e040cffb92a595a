using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// The event types this build knows, by stored name (the record's class name). Found by scanning the assembly, so a
/// module adds an event by declaring the record; an unknown name in the log (from a newer build) is skipped.
/// </summary>
public sealed class EventTypes
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly Dictionary<string, Type> _byName;
    private readonly Dictionary<Type, string> _byType;

    public EventTypes() : this(typeof(EventTypes).Assembly) { }

    public EventTypes(Assembly assembly)
    {
        var types = assembly.GetTypes().Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IDomainEvent).IsAssignableFrom(t)).ToList();
        var clashes = types.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (clashes.Count > 0) throw new InvalidOperationException("Domain event names must be unique: " + string.Join(", ", clashes));
        _byName = types.ToDictionary(t => t.Name);
        _byType = types.ToDictionary(t => t, t => t.Name);
    }

    public IReadOnlyCollection<Type> All => _byType.Keys;

    /// <summary>The stored names of the events that name a person, whose payloads are sealed.</summary>
    public IReadOnlyList<string> PersonalNames =>
        [.. _byType.Where(t => typeof(IPersonalDomainEvent).IsAssignableFrom(t.Key)).Select(t => t.Value).Order(StringComparer.Ordinal)];

    /// <summary>The concrete event types a subscription takes (one to a base record takes every subtype).</summary>
    public IEnumerable<Type> TakenBy(EventSubscription subscription) =>
        All.Where(concrete => subscription.EventTypes.Any(handled => handled.IsAssignableFrom(concrete)));

    public string NameOf(IDomainEvent domainEvent) =>
        _byType.TryGetValue(domainEvent.GetType(), out var name) ? name : throw new InvalidOperationException($"{domainEvent.GetType()} is not a known domain event");

    public string NameOf(Type type) => _byType[type];

    public Type? TypeOf(string name) => _byName.GetValueOrDefault(name);

    public IDomainEvent? Read(string name, string payload) =>
        TypeOf(name) is { } type ? (IDomainEvent?)JsonSerializer.Deserialize(payload, type, Json) : null;
}
