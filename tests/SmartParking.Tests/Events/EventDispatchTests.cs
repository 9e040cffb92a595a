using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shouldly;
using SmartParking.Server.Platform.Events;
using SmartParking.Tests.Infrastructure;
using Xunit;
using static SmartParking.Tests.Events.EventKit;

namespace SmartParking.Tests.Events;

/// <summary>The outbox and its dispatcher: at least once, in order per aggregate, retries, dead letters, and commit order.</summary>
public sealed class EventDispatchTests(EventsFactory factory) : IClassFixture<EventsFactory>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static string NewAggregate() => Guid.NewGuid().ToString();

    private Task<IReadOnlyList<int>> DeliveredAsync(string aggregate, int count) =>
        Poll.UntilAsync(async () => { await factory.DrainAsync(); return factory.Recorder.BatteriesOf(aggregate); }, b => b.Count >= count, Deadline,
            $"{count} events of {aggregate}");

    [Fact]
    public async Task Dispatch_ManyAggregatesInManyTransactions_EachEventArrivesOnceInOrderPerAggregate()
    {
        var aggregates = Enumerable.Range(0, 5).Select(_ => NewAggregate()).ToList();
        // 40 transactions, each with one event of every aggregate, committed from 4 writers at once.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async writer =>
        {
            for (var i = 0; i < 10; i++)
                await factory.AppendAsync([.. aggregates.Select(a => (IDomainEvent)Battery(a, writer * 100 + i))]);
        }));

        foreach (var aggregate in aggregates)
        {
            var batteries = await DeliveredAsync(aggregate, 40);
            batteries.Count.ShouldBe(40);
            batteries.Distinct().Count().ShouldBe(40);
            // Each writer's events are in its commit order.
            for (var writer = 0; writer < 4; writer++)
            {
                var mine = batteries.Where(b => b / 100 == writer).ToList();
                mine.ShouldBe(mine.Order().ToList());
            }
        }
    }

    [Fact]
    public async Task Dispatch_SlowDurableSubscriber_DoesNotHoldBackTheNodeViewsForItsWholeBacklog()
    {
        var slow = NewAggregate();
        var later = NewAggregate();
        factory.Recorder.SlowFor[slow] = TimeSpan.FromMilliseconds(50);
        await factory.AppendAsync([.. Enumerable.Range(1, 60).Select(i => (IDomainEvent)Battery(slow, i))]);
        await Poll.UntilAsync(() => Task.FromResult(factory.Recorder.BatteriesOf(slow).Count), n => n > 0, Deadline, "the slow subscriber at work");

        // Recorded while the durable subscriber works through three seconds of backlog.
        await factory.AppendAsync(Battery(later, 1));
        await Poll.UntilAsync(() => Task.FromResult(factory.Node.Received.Count(r => r.Aggregate == later)), n => n == 1, Deadline, "the node view has the later event");

        factory.Recorder.BatteriesOf(slow).Count.ShouldBeLessThan(60, "the node view got the later event in a round of its own, not after the whole backlog");
        (await DeliveredAsync(slow, 60)).ShouldBe(Enumerable.Range(1, 60));
        (await DeliveredAsync(later, 1)).ShouldBe([1]);
    }

    [Fact]
    public async Task Dispatch_RolledBackTransaction_ItsEventIsNeverDelivered()
    {
        var aggregate = NewAggregate();
        await using (var connection = await factory.Sql.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await factory.Services.GetRequiredService<EventOutbox>().AppendAsync(connection, tx, Battery(aggregate, 1), CancellationToken.None);
            await tx.RollbackAsync();
        }
        await factory.AppendAsync(Battery(aggregate, 2));

        (await DeliveredAsync(aggregate, 1)).ShouldBe([2]);
        await factory.DrainAsync();
        factory.Recorder.BatteriesOf(aggregate).ShouldBe([2]);
    }

    [Fact]
    public async Task Dispatch_TransactionCommittingAfterALaterOne_ItsEventIsStillDelivered()
    {
        var aggregate = NewAggregate();
        var other = NewAggregate();
        await using var slow = await factory.Sql.OpenConnectionAsync();
        await using var slowTx = await slow.BeginTransactionAsync();
        await factory.Services.GetRequiredService<EventOutbox>().AppendAsync(slow, slowTx, Battery(aggregate, 1), CancellationToken.None);

        // A later transaction commits first and is dispatched while the slow one is still open.
        await factory.AppendAsync(Battery(other, 9));
        await DeliveredAsync(other, 1);

        await slowTx.CommitAsync();
        (await DeliveredAsync(aggregate, 1)).ShouldBe([1]);
    }

    [Fact]
    public async Task Dispatch_HandlerFailsTwice_RetriedWithBackoffAndOnlyItsAggregateWaits()
    {
        var failing = NewAggregate();
        var healthy = NewAggregate();
        factory.Recorder.FailuresLeft[failing] = 2;
        await factory.AppendAsync(Battery(failing, 1), Battery(healthy, 1));
        await factory.AppendAsync(Battery(failing, 2), Battery(healthy, 2));

        // The healthy aggregate is not held up by the failing one.
        (await DeliveredAsync(healthy, 2)).ShouldBe([1, 2]);
        var waiting = await factory.ColumnAsync("select attempts::text from event_retries r join domain_events e on e.id = r.event_id where r.subscriber = 'test.recorder' and r.aggregate_id = $1 order by r.position", failing);
        waiting.Count.ShouldBe(2, "the failed event and the one held behind it wait for the retry");

        // The retry (after its backoff) delivers both, in order, the first on its third attempt.
        (await DeliveredAsync(failing, 2)).ShouldBe([1, 2]);
        factory.Recorder.Received.Where(r => r.Aggregate == failing).Select(r => r.Attempt).First().ShouldBe(3);
        (await factory.ColumnAsync("select event_id::text from event_retries where subscriber = 'test.recorder' and aggregate_id = $1", failing)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Dispatch_PermanentFailure_GoesToTheDeadLettersAnOperatorCanReplay()
    {
        var aggregate = NewAggregate();
        factory.Recorder.FailPermanently[aggregate] = true;
        await factory.AppendAsync(Battery(aggregate, 7, factory.TenantId));
        var admin = factory.ClientFor(await factory.CreateAdminAsync());
        var operatorClient = factory.OperatorClient();

        var letters = await Poll.UntilAsync(async () =>
        {
            await factory.DrainAsync();
            return await operatorClient.GetFromJsonAsync<List<DeadLetter>>("/api/v1/manage/events/dead-letters?subscriber=test.recorder");
        }, l => l!.Any(d => d.AggregateId == aggregate), Deadline, "the dead letter");
        var letter = letters!.Single(d => d.AggregateId == aggregate);
        letter.Type.ShouldBe("SensorBatteryLow");
        letter.LastError!.ShouldContain("cannot work");
        letter.Attempts.ShouldBe(1, "a permanent failure is not retried");

        // Another tenant's operator neither sees nor replays it.
        var (_, stranger, _) = await factory.NewTenantWithOperatorAsync();
        (await stranger.GetFromJsonAsync<List<DeadLetter>>("/api/v1/manage/events/dead-letters"))!.ShouldNotContain(d => d.EventId == letter.EventId);
        (await stranger.PostAsync($"/api/v1/manage/events/dead-letters/test.recorder/{letter.EventId}/replay", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Fixed, and replayed by the operator: delivered.
        factory.Recorder.FailPermanently.TryRemove(aggregate, out _);
        (await operatorClient.PostAsync($"/api/v1/manage/events/dead-letters/test.recorder/{letter.EventId}/replay", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await DeliveredAsync(aggregate, 1)).ShouldBe([7]);
        (await admin.GetFromJsonAsync<List<DeadLetter>>("/api/v1/manage/events/dead-letters"))!.ShouldNotContain(d => d.EventId == letter.EventId);
    }

    [Fact]
    public async Task Dispatch_EveryNodeSubscriber_HearsEachEvent()
    {
        var aggregate = NewAggregate();
        await factory.AppendAsync(Battery(aggregate, 3), Battery(aggregate, 4));
        await Poll.UntilAsync(() => Task.FromResult(factory.Node.Received.Where(r => r.Aggregate == aggregate).Select(r => r.Battery).ToList()),
            b => b.Count >= 2, Deadline, "the node subscriber's events");
        factory.Node.Received.Where(r => r.Aggregate == aggregate).Select(r => r.Battery).ShouldBe([3, 4]);
    }
}

/// <summary>Two nodes on one database: every node hears EveryNode events; durable ones survive the dispatching node dying.</summary>
public sealed class EventTwoNodeTests : IAsyncLifetime
{
    private readonly EventsFactory _a = new();
    private EventsSecondNode _b = null!;

    public async Task InitializeAsync()
    {
        await _a.InitializeAsync();
        _b = new EventsSecondNode(_a.Database);
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_b).DisposeAsync();
        await ((IAsyncLifetime)_a).DisposeAsync();
    }

    [Fact]
    public async Task Dispatch_NodeDiesMidDispatch_TheOtherNodeDeliversEveryEvent()
    {
        var aggregate = Guid.NewGuid().ToString();
        // Whichever node dispatches blocks in the handler, as a node would that dies there.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _a.Recorder.Gate = gate;
        _b.Recorder.Gate = gate;
        await _a.AppendAsync([.. Enumerable.Range(1, 50).Select(i => (IDomainEvent)Battery(aggregate, i))]);
        await Task.WhenAny(_a.Recorder.GateReached.Task, _b.Recorder.GateReached.Task).WaitAsync(TimeSpan.FromSeconds(30));
        var (dying, survivor) = _a.Recorder.GateReached.Task.IsCompleted ? ((ApiFactory)_a, (ApiFactory)_b) : (_b, _a);
        var survivorRecorder = survivor.Services.GetRequiredService<RecordingSubscriber>();
        survivorRecorder.Gate = null;

        // The dispatching node's lock session ends (its process gone; 0x4449_5350_4154 is the dispatch lock), and it stops.
        await using (var connection = await _a.Sql.OpenConnectionAsync())
        await using (var kill = new NpgsqlCommand("""
            select pg_terminate_backend(pid) from pg_locks
            where locktype = 'advisory' and granted and classid = 17481 and objid = 1397768532 and database = (select oid from pg_database where datname = current_database())
            """, connection))
            await kill.ExecuteNonQueryAsync();
        await dying.DisposeAsync();

        var delivered = await Poll.UntilAsync(() => Task.FromResult(survivorRecorder.BatteriesOf(aggregate)), b => b.Count >= 50, TimeSpan.FromSeconds(60),
            "every event on the surviving node");
        delivered.ShouldBe(Enumerable.Range(1, 50).ToList());
    }

    [Fact]
    public async Task Dispatch_EveryNodeSubscriber_HearsEventsOnBothNodes()
    {
        var aggregate = Guid.NewGuid().ToString();
        await _b.AppendAsync(Battery(aggregate, 5));
        foreach (var node in new[] { _a.Node, _b.Node })
            await Poll.UntilAsync(() => Task.FromResult(node.Received.Count(r => r.Aggregate == aggregate)), n => n == 1, TimeSpan.FromSeconds(30), "the event on each node");
    }
}
