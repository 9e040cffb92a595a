using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Events;

/// <summary>
/// A durable test subscriber of SensorBatteryLow (a real event type), recording what it is handed. Told to, it fails
/// for an aggregate (a number of times, or for good), or blocks on a gate to stand for a node dying mid-dispatch.
/// </summary>
public sealed class RecordingSubscriber : IEventHandler<SensorBatteryLow>
{
    public ConcurrentQueue<(string Aggregate, int Battery, Guid EventId, int Attempt)> Received { get; } = new();
    public ConcurrentDictionary<string, int> FailuresLeft { get; } = new();
    public ConcurrentDictionary<string, bool> FailPermanently { get; } = new();

    /// <summary>Aggregates whose events take this long each, as a handler with a slow query per event would.</summary>
    public ConcurrentDictionary<string, TimeSpan> SlowFor { get; } = new();

    public TaskCompletionSource? Gate { get; set; }
    public TaskCompletionSource GateReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task HandleAsync(SensorBatteryLow domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        if (Gate is { } gate)
        {
            GateReached.TrySetResult();
            await gate.Task.WaitAsync(ct);
        }
        if (SlowFor.TryGetValue(envelope.AggregateId, out var slow)) await Task.Delay(slow, ct);
        if (FailPermanently.ContainsKey(envelope.AggregateId)) throw new PermanentEventFailure("the test says this one cannot work");
        if (FailuresLeft.TryGetValue(envelope.AggregateId, out var left) && left > 0)
        {
            FailuresLeft[envelope.AggregateId] = left - 1;
            throw new InvalidOperationException("the test's handler failed on purpose");
        }
        Received.Enqueue((envelope.AggregateId, domainEvent.BatteryPercent, envelope.EventId, envelope.Attempt));
    }

    public IReadOnlyList<int> BatteriesOf(string aggregate) => [.. Received.Where(r => r.Aggregate == aggregate).Select(r => r.Battery)];
}

/// <summary>An every-node test subscriber of the same events, as a node's in-memory view would be.</summary>
public sealed class NodeSubscriber : IEventHandler<SensorBatteryLow>
{
    public ConcurrentQueue<(string Aggregate, int Battery)> Received { get; } = new();

    public Task HandleAsync(SensorBatteryLow domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Received.Enqueue((envelope.AggregateId, domainEvent.BatteryPercent));
        return Task.CompletedTask;
    }
}

/// <summary>
/// A durable test subscriber of a real event that names a person (SessionStarted), recording the plate it is handed.
/// Told to, it holds the events at a gate, as a node would that stops before delivering them.
/// </summary>
public sealed class PlateRecorder : IEventHandler<SessionStarted>
{
    public ConcurrentQueue<(string Aggregate, string Plate)> Received { get; } = new();
    public TaskCompletionSource? Gate { get; set; }
    public TaskCompletionSource GateReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task HandleAsync(SessionStarted domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        if (Gate is { } gate)
        {
            GateReached.TrySetResult();
            await gate.Task.WaitAsync(ct);
        }
        Received.Enqueue((envelope.AggregateId, domainEvent.Session.Plate));
    }

    public IReadOnlyList<string> PlatesOf(string aggregate) => [.. Received.Where(r => r.Aggregate == aggregate).Select(r => r.Plate)];
}

public static class EventKit
{
    public static SensorBatteryLow Battery(string aggregate, int percent, Guid? tenantId = null) =>
        new(new SensorFacts(Guid.Parse(aggregate), tenantId ?? Guid.Empty, "S-" + aggregate[..4], null, null), percent);

    public static SessionStarted SessionStarted(string plate)
    {
        var now = DateTimeOffset.UtcNow;
        return new(new SessionFacts(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), null, plate, now, now.AddHours(1), 2m, "DKK"));
    }

    /// <summary>Appends events in one committed transaction, as a module would with its change.</summary>
    public static async Task AppendAsync(this ApiFactory factory, params IDomainEvent[] events)
    {
        await using var connection = await factory.Sql.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await factory.Services.GetRequiredService<EventOutbox>().AppendAsync(connection, tx, events, CancellationToken.None);
        await tx.CommitAsync();
    }

    public static Task DrainAsync(this ApiFactory factory) => factory.Services.GetRequiredService<EventDispatcher>().DrainAsync(CancellationToken.None);

    public static void AddTestSubscribers(IServiceCollection services)
    {
        services.AddSingleton<RecordingSubscriber>();
        services.AddEventSubscriber<RecordingSubscriber>("test.recorder", EventDelivery.Durable);
        services.AddSingleton<NodeSubscriber>();
        services.AddEventSubscriber<NodeSubscriber>("test.node", EventDelivery.EveryNode);
        services.AddSingleton<PlateRecorder>();
        services.AddEventSubscriber<PlateRecorder>("test.plates", EventDelivery.Durable);
    }

    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["Events:FirstRetrySeconds"] = "1",
        ["Events:MaxRetrySeconds"] = "2",
        ["Events:MaxAttempts"] = "3",
        ["Events:PollMilliseconds"] = "100",
    };
}

public class EventsFactory : ManageFactory
{
    public RecordingSubscriber Recorder => Services.GetRequiredService<RecordingSubscriber>();
    public NodeSubscriber Node => Services.GetRequiredService<NodeSubscriber>();
    public PlateRecorder Plates => Services.GetRequiredService<PlateRecorder>();

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        foreach (var (key, value) in EventKit.Settings) settings[key] = value;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(EventKit.AddTestSubscribers);
    }
}

/// <summary>Another node of the same deployment, with the same test subscribers.</summary>
public sealed class EventsSecondNode(TestDatabase shared) : ApiFactory
{
    public RecordingSubscriber Recorder => Services.GetRequiredService<RecordingSubscriber>();
    public NodeSubscriber Node => Services.GetRequiredService<NodeSubscriber>();
    public PlateRecorder Plates => Services.GetRequiredService<PlateRecorder>();

    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult(shared);

    protected override bool OwnsDatabase => false;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        foreach (var (key, value) in EventKit.Settings) settings[key] = value;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(EventKit.AddTestSubscribers);
    }
}
