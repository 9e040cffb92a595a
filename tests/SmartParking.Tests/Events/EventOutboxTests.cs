using Dapper;
using Shouldly;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Protection;
using Xunit;
using static SmartParking.Tests.Events.EventKit;

namespace SmartParking.Tests.Events;

/// <summary>The outbox's wake-up notice goes out only for events some subscriber that wants waking takes.</summary>
public sealed class EventOutboxTests
{
    private static readonly EventOutbox Outbox = new(new EventTypes(),
        [
            new EventSubscription("test.batteries", EventDelivery.Durable, typeof(RecordingSubscriber), [typeof(SensorBatteryLow)]),
            new EventSubscription("test.statuses", EventDelivery.Durable, typeof(RecordingSubscriber), [typeof(SpaceStatusChanged)], Wakes: false),
        ], TimeProvider.System, new FieldProtector(ProtectionKeys.Create(new Dictionary<byte, byte[]> { [1] = new byte[32] }, 1, new byte[32])));

    private static SpaceStatusChanged Status() =>
        new(Guid.NewGuid(), [new SpaceStatusChange(Guid.NewGuid(), Guid.NewGuid(), "free", DateTimeOffset.UtcNow)]);

    [Fact]
    public void AppendSql_EventASubscriberTakes_WakesTheDispatchers() =>
        Outbox.AppendSql(new DynamicParameters(), [Status(), Battery(Guid.NewGuid().ToString(), 9)]).ShouldContain($"pg_notify('{EventOutbox.WakeChannel}'");

    [Fact]
    public void AppendSql_OnlyEventsTakenByASubscriberThatWaitsForThePoll_LeavesThemToTheNextPoll() =>
        Outbox.AppendSql(new DynamicParameters(), [Status(), Status()]).ShouldNotContain("pg_notify");
}
