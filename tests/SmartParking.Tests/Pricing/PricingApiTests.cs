using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Pricing;

/// <summary>
/// Tests run each recompute themselves (the test hosts do not schedule pricing), so prices are predictable; drivers and
/// bookings come from the booking factory, as reservations and sessions lock in the prices.
/// </summary>
public sealed class PricingFactory : Reservations.BookingFactory
{
    public async Task RecomputeAsync(DateTimeOffset? at = null)
    {
        await using var connection = await Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await Services.GetRequiredService<Repricing>().RecomputeAsync(connection, at ?? DateTimeOffset.UtcNow, CancellationToken.None);
    }
}

public sealed class PricingApiTests(PricingFactory factory) : IClassFixture<PricingFactory>
{
    private static readonly object Flat = new { peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" };

    private async Task<(Guid LotId, IReadOnlyList<TestSensor> Spaces, HttpClient Operator)> LotAsync(int spaces, decimal rate = 20m)
    {
        var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lot = Payloads.Lot("Priced Lot", lat, lng);
        lot["openingHours"] = new JsonArray();
        lot["baseHourlyRate"] = rate;
        var lotId = (await op.CreateLotAsync(lot)).Id();
        var created = new List<TestSensor>();
        for (var i = 0; i < spaces; i++) created.Add(await op.CreateSensorAsync(lotId, $"P{i + 1}"));
        return (lotId, created, op);
    }

    private static async Task<decimal> AvailabilityPriceAsync(HttpClient client, Guid lotId) =>
        (await client.GetJsonAsync($"/api/v1/lots/{lotId}/availability")).GetProperty("lot").GetProperty("pricePerHour").GetDecimal();

    private static async Task<JsonElement> QuoteAsync(HttpClient client, Guid lotId, DateTimeOffset start, DateTimeOffset end) =>
        await client.GetJsonAsync($"/api/v1/lots/{lotId}/quote?start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(end.ToString("O"))}");

    /// <summary>A lot at base 20 with flat time factors whose spaces are all occupied.</summary>
    private Task<(Guid LotId, HttpClient Operator, HttpClient Anonymous)> FullFlatLotAsync() => FullLotAsync(Flat, spaces: 2);

    /// <summary>A lot at base 20 under <paramref name="policy"/> whose spaces are all occupied.</summary>
    private async Task<(Guid LotId, HttpClient Operator, HttpClient Anonymous)> FullLotAsync(object policy, int spaces)
    {
        var (lotId, sensors, op) = await LotAsync(spaces);
        var anonymous = factory.Anonymous();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", policy)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        foreach (var space in sensors)
        {
            using var device = factory.DeviceClient(space);
            await device.IngestAsync(Batch(Reading(null, "occupied", SecondsAgo(5))));
            await anonymous.WaitForSpaceStatusAsync(lotId, space.SpaceId, "occupied");
        }
        return (lotId, op, anonymous);
    }

    [Fact]
    public async Task Recompute_FullLot_RaisesThePriceOneStepInAvailabilityQuotesAndHistory()
    {
        var (lotId, op, anonymous) = await FullFlatLotAsync();
        using var _ = op;
        using var __ = anonymous;

        await factory.RecomputeAsync();

        await Poll.UntilAsync(() => AvailabilityPriceAsync(anonymous, lotId), p => p == 22.00m, Eventually, "the new price in availability");
        var start = DateTimeOffset.UtcNow.AddHours(1);
        (await QuoteAsync(anonymous, lotId, start, start.AddHours(2))).GetProperty("amount").GetDecimal().ShouldBe(44.00m);
        var history = (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history")).EnumerateArray().First();
        history.Str("rule").ShouldBe("above_band");
        history.GetProperty("occupancy").GetDouble().ShouldBe(1.0);
        history.GetProperty("previousRate").GetDecimal().ShouldBe(20.00m);
        history.GetProperty("demandRate").GetDecimal().ShouldBe(22.00m);
    }

    [Fact]
    public async Task Recompute_FullLotAtNight_StepsOnlyTheOffPeakBand_DaytimeQuotesKeepTheirRate()
    {
        // The default bands (weekdays 07:00–19:00 peak), without time factors, so each band's rate reads directly.
        var (lotId, op, anonymous) = await FullLotAsync(new { peakMultiplier = 1.0, offPeakMultiplier = 1.0 }, spaces: 1);
        using var _ = op;
        using var __ = anonymous;
        var copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        var tuesday = DateTime.SpecifyKind(DateTime.UtcNow.Date.AddDays(7 + ((int)DayOfWeek.Tuesday - (int)DateTime.UtcNow.DayOfWeek + 7) % 7), DateTimeKind.Unspecified);
        DateTimeOffset Local(int hour) => new(TimeZoneInfo.ConvertTimeToUtc(tuesday.AddHours(hour), copenhagen), TimeSpan.Zero);

        await factory.RecomputeAsync(Local(23));

        var step = (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history")).EnumerateArray().First();
        (step.Str("period"), step.Str("rule"), step.GetProperty("demandRate").GetDecimal()).ShouldBe(("off_peak", "above_band", 22.00m));
        (await QuoteAsync(anonymous, lotId, Local(20), Local(21))).GetProperty("amount").GetDecimal().ShouldBe(22.00m);
        (await QuoteAsync(anonymous, lotId, Local(10), Local(11))).GetProperty("amount").GetDecimal().ShouldBe(20.00m, "a full night says nothing about the day");
    }

    [Fact]
    public async Task PolicyEdit_BaseRateRaised_PriceNowAndQuotesFollowAtOnceFromTheDemandReached()
    {
        var (lotId, op, anonymous) = await FullFlatLotAsync();
        using var _ = op;
        using var __ = anonymous;
        await factory.RecomputeAsync();
        await Poll.UntilAsync(() => AvailabilityPriceAsync(anonymous, lotId), p => p == 22.00m, Eventually, "the demand step to 22.00");

        // Base 20 -> 30: the demand rate keeps its place above the base (22/20 x 30 = 33), with no recompute.
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { baseRate = 30, peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        await Poll.UntilAsync(() => AvailabilityPriceAsync(anonymous, lotId), p => p == 33.00m, Eventually, "the new policy's price in availability");
        var start = DateTimeOffset.UtcNow.AddHours(1);
        (await QuoteAsync(anonymous, lotId, start, start.AddHours(2))).GetProperty("amount").GetDecimal().ShouldBe(66.00m);
        var latest = (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history")).EnumerateArray().First();
        latest.Str("rule").ShouldBe("policy_changed");
        latest.GetProperty("previousRate").GetDecimal().ShouldBe(22.00m);
        latest.GetProperty("demandRate").GetDecimal().ShouldBe(33.00m);
    }

    [Fact]
    public async Task PolicyEdit_LotNeverRepriced_PriceIsTheNewBaseAtOnce()
    {
        var (lotId, _, op) = await LotAsync(spaces: 1);
        using var _ = op;
        using var anonymous = factory.Anonymous();

        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { baseRate = 40, peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        await Poll.UntilAsync(() => AvailabilityPriceAsync(anonymous, lotId), p => p == 40.00m, Eventually, "the new base in availability");
        var latest = (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history")).EnumerateArray().Single();
        latest.GetProperty("previousRate").GetDecimal().ShouldBe(20.00m);
        latest.GetProperty("demandRate").GetDecimal().ShouldBe(40.00m);
    }

    [Fact]
    public async Task Recompute_AnEmptyLotManyTimes_FallsByAtMostTwentyPercentEachAndStopsAtTheFloor()
    {
        var (lotId, spaces, op) = await LotAsync(spaces: 1);
        using var _ = op;
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy",
            new { peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00", stepPercent = 100, floor = 10 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        using (var device = factory.DeviceClient(spaces[0]))
            await device.IngestAsync(Batch(Reading(null, "free", SecondsAgo(5))));
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(lotId, spaces[0].SpaceId, "free");

        for (var i = 0; i < 5; i++) await factory.RecomputeAsync();

        var history = (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history")).EnumerateArray().Reverse().ToList();
        // The policy took effect when saved (at the base rate); each recompute after it steps down.
        history[0].GetProperty("rule").GetString().ShouldBe("policy_changed");
        history[0].GetProperty("demandRate").GetDecimal().ShouldBe(20.00m);
        history.Skip(1).Select(h => h.GetProperty("demandRate").GetDecimal()).ShouldBe([16.00m, 12.80m, 10.24m, 10.00m, 10.00m]);
    }

    [Fact]
    public async Task Recompute_LotThatFilledAtThisHourLastWeek_PricedUpAheadFromTheForecast()
    {
        var (lotId, spaces, op) = await LotAsync(spaces: 4);
        using var owner = op;
        using var anonymous = factory.Anonymous();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", Flat)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        for (var i = 0; i < spaces.Count; i++)
        {
            using var device = factory.DeviceClient(spaces[i]);
            var status = i < 3 ? "occupied" : "free";
            await device.IngestAsync(Batch(Reading(null, status, SecondsAgo(5))));
            await anonymous.WaitForSpaceStatusAsync(lotId, spaces[i].SpaceId, status);
        }
        // Full over the coming quarter hour on each of the last three days.
        foreach (var days in new[] { 1, 2, 3 })
            await factory.ExecuteAsync("""
                insert into price_history (lot_id, at, occupancy, previous_rate, demand_rate, rate_now, rule, time_multiplier, event_multiplier)
                values ($1, now() - make_interval(days => $2) + interval '5 minutes', 1.0, 20, 20, 20, 'in_band', 1, 1)
                """, lotId, days);

        await factory.RecomputeAsync();

        var latest = (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history")).EnumerateArray().First();
        latest.GetProperty("occupancy").GetDouble().ShouldBe(0.75);
        latest.GetProperty("forecast").GetDouble().ShouldBe(1.0);
        latest.Str("rule").ShouldBe("above_band");
        latest.GetProperty("demandRate").GetDecimal().ShouldBe(22.00m);
    }

    [Fact]
    public async Task Quote_WithADeclaredEvent_SurgeOnlyInsideItsWindow()
    {
        var (lotId, _, op) = await LotAsync(spaces: 0);
        using var __ = op;
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", Flat)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var lot = await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}");
        var start = DateTimeOffset.UtcNow.AddDays(1);
        start = new DateTimeOffset(start.Year, start.Month, start.Day, 8, 0, 0, TimeSpan.Zero);
        await (await op.PostAsJsonAsync("/api/v1/manage/pricing-events", new
        {
            name = "Harbour concert", startsAt = start.AddHours(1), endsAt = start.AddHours(2), multiplier = 1.5,
            latitude = lot.GetProperty("latitude").GetDouble(), longitude = lot.GetProperty("longitude").GetDouble(), radiusMeters = 300,
        })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        using var anonymous = factory.Anonymous();

        var quote = await QuoteAsync(anonymous, lotId, start, start.AddHours(3));

        var segments = quote.GetProperty("segments").EnumerateArray().Select(s => (s.GetProperty("event").GetString(), s.GetProperty("ratePerHour").GetDecimal())).ToList();
        segments.ShouldBe([(null, 20m), ("Harbour concert", 30m), (null, 20m)]);
        quote.GetProperty("amount").GetDecimal().ShouldBe(70m);
    }

    [Fact]
    public async Task PolicyEdit_IsAuditedValidatedAndTenantScoped()
    {
        var (lotId, _, op) = await LotAsync(spaces: 0);
        using var owner = op;
        var (_, otherOperator, _) = await factory.NewTenantWithOperatorAsync();
        using var other = otherOperator;

        var tooSteep = await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { maxRaisePercent = 80 });
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { bandLowPercent = 55, bandHighPercent = 80 })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await tooSteep.ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("maxRaisePercent", out _).ShouldBeTrue();
        (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy")).GetProperty("bandHighPercent").GetDecimal().ShouldBe(80m);
        (await op.GetJsonAsync("/api/v1/manage/audit")).Items().ShouldContain(e => e.Str("action") == "pricing_policy.updated");
        (await other.GetAsync($"/api/v1/manage/lots/{lotId}/pricing-policy")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", Flat)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("spaceType=bogus", "spaceType")]
    [InlineData("spaceType=EV", "spaceType")]
    [InlineData("type=bogus", "type")]
    [InlineData("spaceType=ev&type=standard", "spaceType")]
    public async Task Quote_UnknownSpaceType_400NamesTheField(string query, string field)
    {
        var (lotId, _, op) = await LotAsync(spaces: 0);
        op.Dispose();
        using var anonymous = factory.Anonymous();
        var start = DateTimeOffset.UtcNow.AddHours(1);
        var window = $"start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(start.AddHours(1).ToString("O"))}";

        var errors = (await (await anonymous.GetAsync($"/api/v1/lots/{lotId}/quote?{window}&{query}")).ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors");

        errors.TryGetProperty(field, out _).ShouldBeTrue(errors.ToString());
    }

    [Fact]
    public async Task Quote_BySpaceType_PricesThatTypeLikeTheReservationsDo()
    {
        var (lotId, _, op) = await LotAsync(spaces: 0);
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new
        {
            peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00", typeMultipliers = new { ev = 1.5 },
        })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        op.Dispose();
        using var anonymous = factory.Anonymous();
        var start = DateTimeOffset.UtcNow.AddHours(1);
        var window = $"start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(start.AddHours(1).ToString("O"))}";

        var quote = await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}/quote?{window}&spaceType=ev");

        quote.Str("spaceType").ShouldBe("ev");
        quote.GetProperty("amount").GetDecimal().ShouldBe(30.00m);
    }

    [Theory]
    [InlineData("start=2026-01-01T10:00:00Z", "end")]
    [InlineData("start=2026-01-01T10:00:00Z&end=2026-01-01T09:00:00Z", "end")]
    [InlineData("start=2026-01-01T10:00:00Z&end=2026-03-01T10:00:00Z", "end")]
    [InlineData("end=2026-01-01T10:00:00Z", "start")]
    public async Task Quote_BadWindow_400NamesTheField(string query, string field)
    {
        var (lotId, _, op) = await LotAsync(spaces: 0);
        op.Dispose();
        using var anonymous = factory.Anonymous();

        var errors = (await (await anonymous.GetAsync($"/api/v1/lots/{lotId}/quote?{query}")).ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors");

        errors.TryGetProperty(field, out _).ShouldBeTrue(errors.ToString());
    }

    [Fact]
    public async Task Quote_WindowPartlyClosed_KeepsThePriceAndNamesTheClosedParts()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        var lot = Payloads.Lot("Day Lot", lat, lng);
        lot["openingHours"] = new JsonArray([.. new[] { "mon", "tue", "wed", "thu", "fri", "sat", "sun" }
            .Select(d => (JsonNode)new JsonObject { ["day"] = d, ["opens"] = "08:00", ["closes"] = "18:00" })]);
        var lotId = (await op.CreateLotAsync(lot)).Id();
        var copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        var tomorrow = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), copenhagen).Date.AddDays(1);
        DateTimeOffset At(int hour) => new(tomorrow.AddHours(hour), copenhagen.GetUtcOffset(tomorrow.AddHours(hour)));

        var evening = await QuoteAsync(anonymous, lotId, At(17), At(19));
        var overnight = await QuoteAsync(anonymous, lotId, At(17), At(24 + 9));
        var day = await QuoteAsync(anonymous, lotId, At(9), At(17));

        evening.GetProperty("amount").GetDecimal().ShouldBeGreaterThan(0);
        evening.GetProperty("open").GetBoolean().ShouldBeFalse();
        var closed = evening.GetProperty("closed").EnumerateArray().Single();
        closed.GetProperty("from").GetDateTimeOffset().ShouldBe(At(18));
        closed.GetProperty("until").GetDateTimeOffset().ShouldBe(At(19));
        overnight.GetProperty("open").GetBoolean().ShouldBeFalse();
        var night = overnight.GetProperty("closed").EnumerateArray().Single();
        night.GetProperty("from").GetDateTimeOffset().ShouldBe(At(18));
        night.GetProperty("until").GetDateTimeOffset().ShouldBe(At(24 + 8));
        day.GetProperty("open").GetBoolean().ShouldBeTrue();
        day.GetProperty("closed").GetArrayLength().ShouldBe(0);
    }
}

/// <summary>The scheduler on its own: with pricing scheduled, a new lot gets priced without anyone asking.</summary>
public sealed class ScheduledPricingFactory : ManageFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Pricing:Scheduled"] = "true";
        settings["Pricing:RecomputeMinutes"] = "0.01";
        settings["Reservations:SweepSeconds"] = "0.2";
    }
}

public sealed class ScheduledPricingTests(ScheduledPricingFactory factory) : IClassFixture<ScheduledPricingFactory>
{
    [Fact]
    public async Task Scheduler_NewLot_RepricedOnItsOwnAndKeptInTheHistory()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = SomewhereNew();
        var lotId = (await op.CreateLotAtAsync(lat, lng, "Scheduled Lot")).Id();

        var history = await Poll.UntilAsync(async () => await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/price-history"),
            h => h.GetArrayLength() >= 2, Eventually, "two scheduled recomputes of the new lot");

        history[0].GetProperty("at").GetDateTimeOffset().ShouldBeGreaterThan(history[1].GetProperty("at").GetDateTimeOffset());
        history[0].Str("rule").ShouldBe("no_occupancy");
    }
}
