using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Tests.Events;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Pricing;

public sealed class ExperimentAssignmentTests
{
    private static readonly Guid[] Lots = Enumerable.Range(0, 2000).Select(i => new Guid(i, 7, 7, [1, 2, 3, 4, 5, 6, 7, 8])).ToArray();

    [Fact]
    public void IsTreated_SameSeed_SameGroupEveryTime()
    {
        var first = Lots.Select(l => Assignment.IsTreated("spring-test", 0.3m, l)).ToList();
        var again = Lots.Select(l => Assignment.IsTreated("spring-test", 0.3m, l)).ToList();

        again.ShouldBe(first);
    }

    [Fact]
    public void IsTreated_Share_TakesAboutThatPartAndAnotherSeedDrawsAnotherSubset()
    {
        var treated = Lots.Count(l => Assignment.IsTreated("spring-test", 0.3m, l));
        var overlap = Lots.Count(l => Assignment.IsTreated("spring-test", 0.3m, l) && Assignment.IsTreated("autumn-test", 0.3m, l));

        // Binomial(2000, 0.3): mean 600, standard deviation about 20.
        treated.ShouldBeInRange(540, 660);
        // Independent draws overlap in about 0.3 × 0.3 of the lots, not in all the treated ones.
        overlap.ShouldBeInRange(130, 230);
    }

    [Fact]
    public void Estimate_MeanAndNinetyFivePercentInterval()
    {
        var e = Estimate.Of([1.0, 2.0, 3.0, 4.0]);

        e.Mean.ShouldBe(2.5);
        // sd = 1.291, se = 0.6455, half-width 1.265
        e.Low.ShouldBe(1.235, 0.001);
        e.High.ShouldBe(3.765, 0.001);
        Estimate.Difference([5.0, 6.0, 7.0], [1.0, 2.0, 3.0]).Mean.ShouldBe(4.0);
    }
}

public sealed class ExperimentTests(PricingFactory factory) : IClassFixture<PricingFactory>
{
    [Fact]
    public async Task Experiment_VariantLotsPricedByTheVariantAndTheReportSplitsByGroup()
    {
        var (_, op, _) = await factory.NewTenantWithOperatorAsync();
        using var _op = op;
        using var anonymous = factory.Anonymous();
        var lots = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            var (lat, lng) = SomewhereNew();
            var lot = Payloads.Lot($"AB lot {i}", lat, lng);
            lot["openingHours"] = new JsonArray();
            lot["baseHourlyRate"] = 20m;
            var lotId = (await op.CreateLotAsync(lot)).Id();
            await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
            var space = await op.CreateSensorAsync(lotId, "A1");
            using (var device = factory.DeviceClient(space))
                await device.IngestAsync(Batch(Reading(null, "occupied", SecondsAgo(5))));
            await anonymous.WaitForSpaceStatusAsync(lotId, space.SpaceId, "occupied");
            lots.Add(lotId);
        }
        var created = await (await op.PostAsJsonAsync("/api/v1/manage/pricing-experiments", new
        {
            name = "Bigger steps", share = 0.5, seed = "ab-1", startsAt = DateTimeOffset.UtcNow.AddMinutes(-1), endsAt = DateTimeOffset.UtcNow.AddDays(7),
            variant = new { stepPercent = 20, peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" },
        })).ShouldHaveStatusAsync(HttpStatusCode.Created);

        await factory.RecomputeAsync();

        foreach (var lotId in lots)
        {
            var latest = (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history")).EnumerateArray().First();
            latest.GetProperty("demandRate").GetDecimal().ShouldBe(Assignment.IsTreated("ab-1", 0.5m, lotId) ? 24.00m : 22.00m);
        }
        await factory.DrainAsync();
        var report = await op.GetJsonAsync($"/api/v1/manage/pricing-experiments/{created.Id()}/report");
        var groups = report.GetProperty("groups").EnumerateArray().ToDictionary(g => g.Str("group"), g => g.GetProperty("units").GetInt32());
        groups["variant"].ShouldBe(lots.Count(l => Assignment.IsTreated("ab-1", 0.5m, l)));
        (groups["variant"] + groups["control"]).ShouldBe(lots.Count);
        report.GetProperty("inBandDifference").TryGetProperty("low", out _).ShouldBeTrue();
        // Quotes follow the group too.
        var treated = lots.First(l => Assignment.IsTreated("ab-1", 0.5m, l));
        var start = DateTimeOffset.UtcNow.AddHours(1);
        (await anonymous.GetJsonAsync($"/api/v1/lots/{treated}/quote?start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(start.AddHours(1).ToString("O"))}"))
            .GetProperty("amount").GetDecimal().ShouldBe(24.00m);
    }

    [Fact]
    public async Task Report_EventsDeliveredAgain_StaysAndRevenueCountedOnce()
    {
        var (_, op, _) = await factory.NewTenantWithOperatorAsync();
        using var _op = op;
        var (lat, lng) = SomewhereNew();
        var body = Payloads.Lot("Redelivery Lot", lat, lng);
        body["openingHours"] = new JsonArray();
        body["baseHourlyRate"] = 20m;
        var lotId = (await op.CreateLotAsync(body)).Id();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var space = await op.CreateSensorAsync(lotId, "R1");
        var now = factory.Clock.GetUtcNow();
        var created = await (await op.PostAsJsonAsync("/api/v1/manage/pricing-experiments", new
        {
            name = "Counted once", unit = "drivers", share = 0.5, seed = "redelivery-1", startsAt = now.AddMinutes(-1), endsAt = now.AddDays(7),
            variant = new { baseRate = 25, peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" },
        })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var (account, driver) = await factory.DriverAsync();
        using var _driver = driver;
        // Per-driver reports count only drivers who consented to analytics.
        await (await driver.PutAsJsonAsync("/api/v1/me/consents", new { analytics = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var rate = Assignment.IsTreated("redelivery-1", 0.5m, account.Id) ? 25m : 20m;
        var group = Assignment.IsTreated("redelivery-1", 0.5m, account.Id) ? "variant" : "control";
        // A reservation paid (its price: one hour) and a session of half an hour, stopped and paid.
        await Reservations.BookingFactory.BookPaidAsync(driver, Reservations.BookingFactory.Booking(lotId, space.SpaceId, now.AddHours(2), TimeSpan.FromHours(1)));
        var session = (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "RD 00 001", durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        factory.Clock.Advance(TimeSpan.FromMinutes(30));
        // Other tests move the shared clock too, so the stay may have lasted a little longer than 30 minutes: take what it cost.
        var sessionAmount = (await (await driver.PostAsync($"/api/v1/sessions/{session}/stop", null)).ShouldHaveStatusAsync(HttpStatusCode.OK))
            .GetProperty("amount").GetDecimal();
        sessionAmount.ShouldBeGreaterThanOrEqualTo(rate / 2);
        async Task<JsonElement> GroupAsync()
        {
            await factory.DrainAsync();
            var report = await op.GetJsonAsync($"/api/v1/manage/pricing-experiments/{created.Id()}/report");
            return report.GetProperty("groups").EnumerateArray().Single(g => g.Str("group") == group);
        }

        var first = await GroupAsync();
        // Every event of the log handed to the subscriber again, as after a crash before its checkpoint was saved.
        await factory.ExecuteAsync("update event_checkpoints set position = 0 where subscriber = 'pricing.experiments'");
        var again = await GroupAsync();

        first.GetProperty("units").GetInt32().ShouldBe(1);
        first.GetProperty("revenue").GetProperty("mean").GetDouble().ShouldBe((double)(rate + sessionAmount), 0.001);
        first.GetProperty("turnover").GetProperty("mean").GetDouble().ShouldBe(1.0);
        again.GetProperty("revenue").GetProperty("mean").GetDouble().ShouldBe(first.GetProperty("revenue").GetProperty("mean").GetDouble());
        again.GetProperty("turnover").GetProperty("mean").GetDouble().ShouldBe(1.0);
    }

    [Fact]
    public async Task Experiment_BadShareOrOtherTenant_400And404()
    {
        using var op = factory.OperatorClient();
        var (_, other, _) = await factory.NewTenantWithOperatorAsync();
        using var _other = other;

        var bad = await op.PostAsJsonAsync("/api/v1/manage/pricing-experiments", new
        {
            name = "Too much", share = 1.5, startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddDays(1), variant = new { stepPercent = 20 },
        });
        var created = await (await op.PostAsJsonAsync("/api/v1/manage/pricing-experiments", new
        {
            name = "Mine", share = 0.5, startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddDays(1), variant = new { stepPercent = 20 },
        })).ShouldHaveStatusAsync(HttpStatusCode.Created);

        (await bad.ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("share", out _).ShouldBeTrue();
        (await other.GetAsync($"/api/v1/manage/pricing-experiments/{created.Id()}/report")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetJsonAsync("/api/v1/manage/pricing-experiments")).EnumerateArray().ShouldBeEmpty();
    }
}
