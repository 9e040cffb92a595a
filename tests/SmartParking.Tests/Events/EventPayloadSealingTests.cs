using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Protection;
using SmartParking.Tests.Infrastructure;
using Xunit;

namespace SmartParking.Tests.Events;

/// <summary>
/// Events that name a person are recorded with their payload sealed, and handed to their subscribers whole: by the next
/// node after a restart, and when they were recorded in clear before encryption (then sealed by the sweep).
/// </summary>
public sealed class EventPayloadSealingTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly EventsFactory _first = new();

    public Task InitializeAsync() => _first.InitializeAsync();

    public Task DisposeAsync() => ((IAsyncLifetime)_first).DisposeAsync();

    /// <summary>A plate that cannot turn up by chance in a sealed value's hex digits.</summary>
    private static string NewPlate() => "EV" + Random.Shared.Next(10_000, 99_999);

    private Task<string> RowAsync(string aggregate) => _first.ScalarAsync<string>("select e::text from domain_events e where aggregate_id = $1", aggregate);

    [Fact]
    public async Task EveryPersonalEventType_SweptThroughItsIndex()
    {
        var indexed = await _first.ScalarAsync<string>("select indexdef from pg_indexes where indexname = 'domain_events_payload_clear'");
        var personal = _first.Services.GetRequiredService<EventTypes>().PersonalNames;

        personal.ShouldNotBeEmpty();
        personal.ShouldAllBe(name => indexed.Contains($"'{name}'"), "a personal event type missing from the sweep's index");
        // The sweep's own condition is one the index answers (with the table as small as here, only if told not to scan it).
        await using var connection = await _first.Sql.OpenConnectionAsync();
        await using (var noScan = new Npgsql.NpgsqlCommand("set enable_seqscan = off", connection)) await noScan.ExecuteNonQueryAsync();
        await using var explain = new Npgsql.NpgsqlCommand(
            $"explain select ctid from domain_events where payload is not null and not ({EventPayloads.Column(_first.Services.GetRequiredService<EventTypes>()).ClearNotPersonalSql}) limit 10",
            connection);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        string.Join("\n", plan).ShouldContain("domain_events_payload_clear");
    }

    [Fact]
    public async Task PersonalEvent_StoredSealed_DeliveredWithThePlate_ByTheNextNodeAfterARestart()
    {
        var plate = NewPlate();
        var started = EventKit.SessionStarted(plate);
        // The first node's subscriber holds the event, so it is still to be delivered when the node stops.
        _first.Plates.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await _first.AppendAsync(started);

        (await RowAsync(started.AggregateId)).ShouldNotContain(plate);
        (await _first.ScalarAsync<bool>("select payload is null and payload_encrypted is not null from domain_events where aggregate_id = $1", started.AggregateId))
            .ShouldBeTrue();
        await _first.Plates.GateReached.Task.WaitAsync(Deadline);
        await _first.DisposeAsync();

        var second = new EventsSecondNode(_first.Database);
        try
        {
            await second.InitializeAsync();
            var delivered = await Poll.UntilAsync(() => Task.FromResult(second.Plates.PlatesOf(started.AggregateId)), p => p.Count > 0, Deadline,
                "the event on the node started next");
            delivered.ShouldBe([plate]);
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync();
        }
    }

    [Fact]
    public async Task PersonalEvent_RecordedInClearBeforeEncryption_SealedByTheSweep_AndDelivered()
    {
        var plate = NewPlate();
        var started = EventKit.SessionStarted(plate);
        // As the outbox recorded it before migration 0049: the payload in clear.
        await _first.ExecuteAsync("insert into domain_events (id, type, aggregate_id, tenant_id, occurred_at, payload) values ($1, 'SessionStarted', $2, $3, now(), $4::json)",
            Guid.NewGuid(), started.AggregateId, started.TenantId, JsonSerializer.Serialize(started, EventTypes.Json));

        _first.Services.GetRequiredService<ProtectionSweep>().Wake();
        await Poll.UntilAsync(() => _first.ScalarAsync<bool>("select payload is null from domain_events where aggregate_id = $1", started.AggregateId), done => done,
            Deadline, "the sweep to seal the payload");

        (await RowAsync(started.AggregateId)).ShouldNotContain(plate);
        var delivered = await Poll.UntilAsync(() => Task.FromResult(_first.Plates.PlatesOf(started.AggregateId)), p => p.Count > 0, Deadline, "the event delivered");
        delivered.ShouldBe([plate]);
    }
}
