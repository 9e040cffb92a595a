using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Analytics.Rollups;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Time;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Analytics.Rollups;

/// <summary>
/// Rollups against hand-computed values: events go to the subscriber as the dispatcher would hand them over (the
/// same envelope again for a redelivery), and the minute samples are the ones the sampler would take.
/// </summary>
public sealed class RollupTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    // Yesterday 10:00 UTC: inside the facts' retention, and a day the background sampler no longer touches.
    private static readonly DateTimeOffset Ten = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1).AddHours(10);

    private RollupLedger Ledger => factory.Services.GetRequiredService<RollupLedger>();

    [Fact]
    public async Task TwoSpacesInAnHour_OccupancyTurnoverAndDwellAsComputedByHand_PerLotZoneTypeAndDay()
    {
        using var client = factory.OperatorClient();
        var lotId = (await client.CreateLotAsync()).Id();
        var zoneId = (await client.CreateZoneAsync(lotId)).Id();
        var a = (await client.CreateSpaceAsync(lotId, Payloads.Space("A", "standard", zoneId))).Id();
        var b = (await client.CreateSpaceAsync(lotId, Payloads.Space("B", "ev"))).Id();

        // B is taken 10:00-11:00, A 10:15-10:45; ingest tells each departure when its stay began.
        var arrive = Envelope(new SpaceStatusChanged(factory.TenantId, [Change(lotId, b, "occupied", Ten, Ten), Change(lotId, a, "occupied", Ten.AddMinutes(15), Ten.AddMinutes(15))]));
        var store = factory.Services.GetRequiredService<RollupStore>();
        await Deliver(arrive);
        await Deliver(arrive); // redelivered before the batch is counted
        await store.CountPendingAsync(CancellationToken.None);
        await Deliver(Envelope(new SpaceStatusChanged(factory.TenantId, [Change(lotId, a, "free", Ten.AddMinutes(45), Ten.AddMinutes(15))])));
        await Deliver(arrive); // and after
        await Deliver(Envelope(new SpaceStatusChanged(factory.TenantId, [Change(lotId, b, "free", Ten.AddHours(1), Ten)])));
        for (var minute = 0; minute < 60; minute++)
        {
            var aTaken = minute is >= 15 and < 45 ? 1.0 : 0.0;
            LiveSample[] samples =
            [
                new(factory.TenantId, lotId, "lot", "", (aTaken + 1) / 2, 1.0, 2),
                new(factory.TenantId, lotId, "zone", zoneId.ToString(), aTaken, null, 1),
                new(factory.TenantId, lotId, "type", "standard", aTaken, null, 1),
                new(factory.TenantId, lotId, "type", "ev", 1.0, null, 1),
            ];
            var sums = new SampleSums();
            foreach (var sample in samples) sums.Add(Ten.AddMinutes(minute), await store.DayStartAsync(lotId, Ten.AddMinutes(minute), CancellationToken.None), sample);
            var written = sums.Take();
            await store.AddSampleSumsAsync(written, CancellationToken.None);
            if (minute == 30) await store.AddSampleSumsAsync(written, CancellationToken.None); // another node, same minute
        }

        var lot = (await BucketsAsync(client, lotId, "hour", "lot", Ten, Ten.AddHours(1))).ShouldHaveSingleItem();
        lot.GetProperty("occupancy").GetDouble().ShouldBe(0.75);
        lot.GetProperty("peak").GetDouble().ShouldBe(1.0);
        lot.GetProperty("samples").GetInt32().ShouldBe(60);
        lot.GetProperty("sensorUptime").GetDouble().ShouldBe(1.0);
        lot.GetProperty("arrivals").GetInt32().ShouldBe(2);
        Dwell(lot).ShouldBe([0, 0, 1, 1, 0, 0, 0]);

        var zone = (await BucketsAsync(client, lotId, "hour", "zone", Ten, Ten.AddHours(1))).ShouldHaveSingleItem();
        zone.Str("scopeKey").ShouldBe(zoneId.ToString());
        zone.GetProperty("occupancy").GetDouble().ShouldBe(0.5);
        zone.GetProperty("arrivals").GetInt32().ShouldBe(1);
        Dwell(zone).ShouldBe([0, 0, 1, 0, 0, 0, 0]);

        var types = (await BucketsAsync(client, lotId, "hour", "type", Ten, Ten.AddHours(1))).ToDictionary(t => t.Str("scopeKey"));
        types.Keys.Order().ShouldBe(["ev", "standard"]);
        Dwell(types["ev"]).ShouldBe([0, 0, 0, 1, 0, 0, 0]);
        types["ev"].GetProperty("occupancy").GetDouble().ShouldBe(1.0);
        Dwell(types["standard"]).ShouldBe([0, 0, 1, 0, 0, 0, 0]);

        // The day starts at the lot's local midnight (Copenhagen) and sums its hours.
        var copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        var localMidnight = TimeZoneInfo.ConvertTime(Ten, copenhagen).Date;
        var dayStart = new DateTimeOffset(localMidnight, copenhagen.GetUtcOffset(localMidnight)).ToUniversalTime();
        var day = (await BucketsAsync(client, lotId, "day", "lot", dayStart, dayStart.AddDays(1))).ShouldHaveSingleItem();
        day.GetProperty("bucket").GetDateTimeOffset().ShouldBe(dayStart);
        day.GetProperty("occupancy").GetDouble().ShouldBe(0.75);
        day.GetProperty("arrivals").GetInt32().ShouldBe(2);
        Dwell(day).ShouldBe([0, 0, 1, 1, 0, 0, 0]);

        // The lot's hour is in the shared hourly series, and the occupancy report reads it.
        (await factory.ScalarAsync<string>("select format('%s %s %s %s %s', occupancy, peak, capacity, samples, source) from lot_occupancy_hourly where lot_id = $1 and hour = $2",
            lotId, Ten)).ShouldBe("0.75 1 2 60 live");
        var report = await client.GetJsonAsync($"/api/v1/manage/reports/occupancy?lotId={lotId}&from={Q(Ten)}&to={Q(Ten.AddHours(1))}");
        report.Str("source").ShouldBe("lot_occupancy_hourly");
        report.GetProperty("points")[0].GetProperty("occupancy").GetDouble().ShouldBe(0.75);
    }

    [Fact]
    public async Task BookingsSessionsAndMoney_RefundsReduceRevenue_AndRedeliveriesCountOnce()
    {
        using var client = factory.OperatorClient();
        var lotId = (await client.CreateLotAsync()).Id();
        var space = (await client.CreateSpaceAsync(lotId, Payloads.Space("R1"))).Id();
        var driver = Guid.NewGuid();
        var noShow = Reservation(lotId, space, driver, Ten.AddMinutes(30));
        var cancelled = Reservation(lotId, space, driver, Ten.AddMinutes(40));
        var session = new SessionFacts(Guid.NewGuid(), factory.TenantId, driver, lotId, null, "AB12345", Ten.AddMinutes(10), Ten.AddHours(2), 20m, "EUR");
        var noShowPayment = Payment(noShow.ReservationId, driver, 100m, "DKK");
        var cancelledPayment = Payment(cancelled.ReservationId, driver, 40m, "DKK");
        var sessionPayment = Payment(session.SessionId, driver, 12.5m, "EUR");

        // The payment is heard before the reservation that tells its lot.
        await Deliver(Envelope(new PaymentSucceeded(noShowPayment), Ten.AddMinutes(5)));
        await Deliver(Envelope(new ReservationHeld(noShow, Ten.AddMinutes(1))));
        await Deliver(Envelope(new ReservationConfirmed(noShow)));
        var noShowEvent = Envelope(new ReservationNoShow(noShow, 0m));
        await Deliver(noShowEvent);
        await Deliver(noShowEvent);
        await Deliver(Envelope(new ReservationConfirmed(cancelled)));
        await Deliver(Envelope(new PaymentSucceeded(cancelledPayment), Ten.AddMinutes(6)));
        await Deliver(Envelope(new ReservationCancelled(cancelled, 0m)));
        var refund = Envelope(new RefundIssued(cancelledPayment, Guid.NewGuid(), 30m, "cancelled"), Ten.AddMinutes(20));
        await Deliver(refund);
        await Deliver(refund);
        await Deliver(Envelope(new SessionStarted(session)));
        var sessionPaid = Envelope(new PaymentSucceeded(sessionPayment), Ten.AddMinutes(50));
        await Deliver(sessionPaid);
        await Deliver(sessionPaid);

        var hour = (await BucketsAsync(client, lotId, "hour", "lot", Ten, Ten.AddHours(1))).ShouldHaveSingleItem();
        hour.GetProperty("reservations").GetInt32().ShouldBe(2);
        hour.GetProperty("cancellations").GetInt32().ShouldBe(1);
        hour.GetProperty("noShows").GetInt32().ShouldBe(1);
        hour.GetProperty("sessions").GetInt32().ShouldBe(1);
        Revenue(hour).ShouldBe(["DKK 140.00 30.00 110.00", "EUR 12.50 0.00 12.50"]);
        var standard = (await BucketsAsync(client, lotId, "hour", "type", Ten, Ten.AddHours(1))).ShouldHaveSingleItem();
        standard.Str("scopeKey").ShouldBe("standard");
        Revenue(standard).ShouldBe(["DKK 140.00 30.00 110.00"], "a meter session has no space type");
    }

    [Fact]
    public async Task Sampler_LiveAvailability_AndAnIngestedArrivalReachesTheRollupsThroughTheEventLog()
    {
        var (lat, lng) = SomewhereNew();
        using var client = factory.OperatorClient();
        var lotId = (await client.CreateLotAtAsync(lat, lng)).Id();
        var taken = await client.CreateSensorAsync(lotId);
        var free = await client.CreateSensorAsync(lotId);
        var now = DateTimeOffset.UtcNow;
        using (var device = factory.DeviceClient(taken)) await device.IngestAsync(Batch(Reading(null, "occupied", now)));
        using (var device = factory.DeviceClient(free)) await device.IngestAsync(Batch(Reading(null, "free", now)));
        await client.WaitForSpaceStatusAsync(lotId, taken.SpaceId, "occupied");
        await client.WaitForSpaceStatusAsync(lotId, free.SpaceId, "free");

        var samples = await factory.Services.GetRequiredService<RollupJob>().SampleAsync(CancellationToken.None);
        var lot = samples.Single(s => s.LotId == lotId && s.Scope == "lot");
        lot.Occupancy.ShouldBe(0.5);
        lot.Uptime.ShouldBe(1.0);
        lot.Capacity.ShouldBe(2);
        samples.Single(s => s.LotId == lotId && s.Scope == "type").ScopeKey.ShouldBe("standard");

        var hour = now.ToWholeHour();
        await Poll.UntilAsync(() => BucketsAsync(client, lotId, "hour", "lot", hour, hour.AddHours(1)),
            b => b.Count == 1 && b[0].GetProperty("arrivals").GetInt32() == 1, Eventually, "the arrival in the hourly rollup");
    }

    [Fact]
    public async Task MinuteSamples_HeldUntilTheirBlockOfMinutesEnds_ThenWrittenOnceWithEveryMinute()
    {
        using var client = factory.OperatorClient();
        var lotId = await LotWithAnOccupiedSpaceAsync(client);

        // At an hour no other test and not the background sampler writes; blocks of 5 minutes: 05:00-05:04, 05:05-05:09.
        var job = ActivatorUtilities.CreateInstance<RollupJob>(factory.Services, Options.Create(new RollupOptions { WriteSamplesEveryMinutes = 5 }));
        var hour = Ten.AddHours(-5);
        for (var minute = 0; minute < 4; minute++) await job.RunAsync(hour.AddMinutes(minute).AddSeconds(20), CancellationToken.None);
        (await BucketsAsync(client, lotId, "hour", "lot", hour, hour.AddHours(1))).ShouldBeEmpty("the block's minutes are still held");

        await job.RunAsync(hour.AddMinutes(4).AddSeconds(20), CancellationToken.None);
        await job.RunAsync(hour.AddMinutes(4).AddSeconds(50), CancellationToken.None); // the same minute again: not sampled twice
        var bucket = (await BucketsAsync(client, lotId, "hour", "lot", hour, hour.AddHours(1))).ShouldHaveSingleItem();
        bucket.GetProperty("samples").GetInt32().ShouldBe(5);
        bucket.GetProperty("occupancy").GetDouble().ShouldBe(1.0);
        var dayStart = await factory.Services.GetRequiredService<RollupStore>().DayStartAsync(lotId, hour, CancellationToken.None);
        (await BucketsAsync(client, lotId, "day", "lot", dayStart, dayStart.AddDays(1))).ShouldHaveSingleItem().GetProperty("samples").GetInt32().ShouldBe(5);

        await job.RunAsync(hour.AddMinutes(5).AddSeconds(20), CancellationToken.None);
        (await BucketsAsync(client, lotId, "hour", "lot", hour, hour.AddHours(1))).ShouldHaveSingleItem().GetProperty("samples").GetInt32()
            .ShouldBe(5, "the next block is held until it ends");
    }

    [Fact]
    public async Task MinuteSample_WrittenALotAtATime_EveryLotGetsItsSample()
    {
        using var client = factory.OperatorClient();
        var lots = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var lotId = await LotWithAnOccupiedSpaceAsync(client);
            // Lot i has i more sensors never heard: each lot's uptime is its own, 1/(1+i), whichever slice reads it.
            for (var silent = 0; silent < i; silent++) await client.CreateSensorAsync(lotId);
            lots.Add(lotId);
        }

        // One lot per slice, at an hour no other test and not the background sampler writes.
        var job = ActivatorUtilities.CreateInstance<RollupJob>(factory.Services, Options.Create(new RollupOptions { LotsPerSlice = 1 }));
        var minute = Ten.AddHours(-2);
        (await job.SampleMinuteAsync(minute, CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(3 * 2, "a lot and a space type sample per lot");
        (await job.WriteSamplesAsync(CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(3 * 2);

        foreach (var (lotId, i) in lots.Select((id, i) => (id, i)))
        {
            var bucket = (await BucketsAsync(client, lotId, "hour", "lot", minute, minute.AddHours(1))).ShouldHaveSingleItem();
            bucket.GetProperty("occupancy").GetDouble().ShouldBe(1.0);
            bucket.GetProperty("samples").GetInt32().ShouldBe(1);
            bucket.GetProperty("sensorUptime").GetDouble().ShouldBe(1.0 / (1 + i), 1e-4);
        }
    }

    [Fact]
    public async Task IngestedStay_OfflineSpellInside_OneArrivalAndItsWholeDwell_InTheArrivalHour()
    {
        var (lat, lng) = SomewhereNew();
        using var client = factory.OperatorClient();
        var lotId = (await client.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await client.CreateSensorAsync(lotId);
        var arrived = DateTimeOffset.UtcNow.AddHours(-4);
        // The sensor goes quiet (unknown) in the middle of the stay: the stay goes on, so one arrival and one dwell of 3 h 20 min.
        using (var device = factory.DeviceClient(sensor))
            foreach (var (status, minutes) in new[] { ("occupied", 0), ("unknown", 20), ("occupied", 50), ("free", 200) })
                await device.IngestAsync(Batch(Reading(null, status, arrived.AddMinutes(minutes))));

        var hour = arrived.ToWholeHour();
        var store = factory.Services.GetRequiredService<RollupStore>();
        var bucket = await Poll.UntilAsync(async () =>
            {
                await store.CountPendingAsync(CancellationToken.None);
                return await BucketsAsync(client, lotId, "hour", "lot", hour, hour.AddHours(1));
            }, b => b.Count == 1 && Dwell(b[0]).Sum() == 1, Eventually, "the stay's departure in the hourly rollup");
        bucket[0].GetProperty("arrivals").GetInt32().ShouldBe(1);
        Dwell(bucket[0]).ShouldBe([0, 0, 0, 0, 1, 0, 0]);
    }

    [Fact]
    public async Task StatusEventWithoutItsStayStart_ArrivalCounted_DepartureNot()
    {
        using var client = factory.OperatorClient();
        var lotId = (await client.CreateLotAsync()).Id();
        var space = (await client.CreateSpaceAsync(lotId, Payloads.Space("O1"))).Id();

        // Events logged before departures carried their stay's start: an arrival still counts, a departure has no dwell to tell.
        await Deliver(Envelope(new SpaceStatusChanged(factory.TenantId, [new SpaceStatusChange(lotId, space, "occupied", Ten)])));
        await Deliver(Envelope(new SpaceStatusChanged(factory.TenantId, [new SpaceStatusChange(lotId, space, "free", Ten.AddMinutes(30))])));

        var hour = (await BucketsAsync(client, lotId, "hour", "lot", Ten, Ten.AddHours(1))).ShouldHaveSingleItem();
        hour.GetProperty("arrivals").GetInt32().ShouldBe(1);
        Dwell(hour).Sum().ShouldBe(0);
    }

    [Fact]
    public async Task Prune_RollupsPastTheirYearsAndFactsPastTheirDays_Go()
    {
        using var client = factory.OperatorClient();
        var lotId = (await client.CreateLotAsync()).Id();
        var now = DateTimeOffset.UtcNow;
        foreach (var years in new[] { 8, 6 })
            await factory.ExecuteAsync("""
                insert into analytics_rollups (tenant_id, lot_id, granularity, bucket, scope, scope_key, arrivals)
                values ($1, $2, 'hour', date_trunc('hour', $3::timestamptz), 'lot', '', 1)
                """, factory.TenantId, lotId, now.AddYears(-years));

        var batches = new[] { Guid.NewGuid(), Guid.NewGuid() };
        foreach (var (id, days) in batches.Zip([2, 0]))
            await factory.ExecuteAsync("insert into analytics_status_batches (event_id, tenant_id, recorded_at) values ($1, $2, $3)", id, factory.TenantId, now.AddDays(-days));

        await factory.Services.GetRequiredService<RollupStore>().PruneAsync(now.AddYears(-7), now.AddDays(-40), now.AddDays(-1), CancellationToken.None);

        (await factory.ScalarAsync<long>("select count(*) from analytics_rollups where lot_id = $1", lotId)).ShouldBe(1);
        (await factory.ScalarAsync<DateTime>("select bucket from analytics_rollups where lot_id = $1", lotId)).Year.ShouldBe(now.AddYears(-6).Year);
        (await factory.ScalarAsync<long>("select count(*) from analytics_status_batches where event_id = any($1)", batches)).ShouldBe(1, "a counted batch is kept a day");
    }

    [Theory]
    [InlineData("granularity=week", "granularity")]
    [InlineData("scope=floor", "scope")]
    [InlineData("granularity=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    public async Task Rollups_BadQuery_ProblemNamingTheField(string query, string field)
    {
        using var client = factory.OperatorClient();
        await (await client.GetAsync($"/api/v1/manage/analytics/rollups?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Rollups_AnotherTenantsLot_NotFound()
    {
        var (_, other, _) = await factory.NewTenantWithOperatorAsync();
        using var _other = other;
        var theirs = (await other.CreateLotAsync()).Id();
        using var client = factory.OperatorClient();
        (await client.GetAsync($"/api/v1/manage/analytics/rollups?lotId={theirs}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private Task Deliver<T>((T Event, EventEnvelope Envelope) delivery) where T : IDomainEvent =>
        ((IEventHandler<T>)(object)Ledger).HandleAsync(delivery.Event, delivery.Envelope, CancellationToken.None);

    private static (T, EventEnvelope) Envelope<T>(T e, DateTimeOffset? at = null) where T : IDomainEvent =>
        (e, new EventEnvelope(Guid.NewGuid(), 1, typeof(T).Name, e.AggregateId, e.TenantId, at ?? Ten, e, 1));

    private static SpaceStatusChange Change(Guid lotId, Guid spaceId, string status, DateTimeOffset at, DateTimeOffset stayStartedAt) =>
        new(lotId, spaceId, status, at, stayStartedAt);

    private ReservationFacts Reservation(Guid lotId, Guid spaceId, Guid driver, DateTimeOffset start) =>
        new(Guid.NewGuid(), factory.TenantId, driver, lotId, spaceId, "R1", "standard", start, start.AddHours(1), "confirmed", 100m, "DKK");

    private PaymentFacts Payment(Guid reference, Guid driver, decimal amount, string currency) =>
        new(Guid.NewGuid(), factory.TenantId, driver, PaymentPurpose.Reservation, reference, amount, currency, null);

    /// <summary>A new lot whose one sensor has just reported its space occupied.</summary>
    private async Task<Guid> LotWithAnOccupiedSpaceAsync(HttpClient client)
    {
        var (lat, lng) = SomewhereNew();
        var lotId = (await client.CreateLotAtAsync(lat, lng)).Id();
        var sensor = await client.CreateSensorAsync(lotId);
        using (var device = factory.DeviceClient(sensor)) await device.IngestAsync(Batch(Reading(null, "occupied", DateTimeOffset.UtcNow)));
        await client.WaitForSpaceStatusAsync(lotId, sensor.SpaceId, "occupied");
        return lotId;
    }

    private static async Task<List<JsonElement>> BucketsAsync(HttpClient client, Guid lotId, string granularity, string scope, DateTimeOffset from, DateTimeOffset to) =>
        (await client.GetJsonAsync($"/api/v1/manage/analytics/rollups?lotId={lotId}&granularity={granularity}&scope={scope}&from={Q(from)}&to={Q(to)}"))
            .GetProperty("buckets").EnumerateArray().ToList();

    private static int[] Dwell(JsonElement bucket) => [.. bucket.GetProperty("dwell").EnumerateObject().Select(p => p.Value.GetInt32())];

    private static string[] Revenue(JsonElement bucket) =>
        [.. bucket.GetProperty("revenue").EnumerateArray().Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Str("currency")} {r.GetProperty("charged").GetDecimal():0.00} {r.GetProperty("refunded").GetDecimal():0.00} {r.GetProperty("net").GetDecimal():0.00}"))];

    private static string Q(DateTimeOffset at) => Uri.EscapeDataString(Iso(at));
}
