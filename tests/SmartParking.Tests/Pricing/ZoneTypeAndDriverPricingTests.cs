using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Tests.Events;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Pricing;

/// <summary>Prices below the lot: a zone with a policy of its own, space types priced apart, drivers in an experiment.</summary>
public sealed class ZoneTypeAndDriverPricingTests(PricingFactory factory) : IClassFixture<PricingFactory>
{
    private sealed record PricedLot(Guid LotId, Guid ZoneId, IReadOnlyList<TestSensor> InZone, TestSensor Outside);

    /// <summary>A lot at 20/h around the clock with a zone "Premium" of two spaces and one space outside it.</summary>
    private async Task<PricedLot> LotWithZoneAsync(HttpClient op)
    {
        var (lat, lng) = SomewhereNew();
        var lot = Payloads.Lot("Zoned Lot", lat, lng);
        lot["openingHours"] = new JsonArray();
        lot["baseHourlyRate"] = 20m;
        var lotId = (await op.CreateLotAsync(lot)).Id();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var zoneId = (await op.CreateZoneAsync(lotId, Payloads.Zone("P", "Premium"))).Id();
        var inZone = new[] { await op.CreateSensorAsync(lotId, "P1", zoneId: zoneId), await op.CreateSensorAsync(lotId, "P2", zoneId: zoneId) };
        return new PricedLot(lotId, zoneId, inZone, await op.CreateSensorAsync(lotId, "G1"));
    }

    private static string Window(DateTimeOffset start, TimeSpan length) =>
        $"start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString((start + length).ToString("O"))}";

    private static async Task<decimal> QuoteAsync(HttpClient client, Guid lotId, string extra = "")
    {
        var start = DateTimeOffset.UtcNow.AddHours(1);
        return (await client.GetJsonAsync($"/api/v1/lots/{lotId}/quote?{Window(start, TimeSpan.FromHours(1))}{extra}")).GetProperty("amount").GetDecimal();
    }

    private static async Task<Dictionary<Guid, decimal?>> SpacePricesAsync(HttpClient client, Guid lotId) =>
        (await client.GetJsonAsync($"/api/v1/lots/{lotId}/availability")).GetProperty("spaces").EnumerateArray().ToDictionary(
            s => s.GetProperty("spaceId").GetGuid(), s => s.TryGetProperty("pricePerHour", out var p) ? p.GetDecimal() : (decimal?)null);

    private async Task ReportAsync(TestSensor space, string status)
    {
        using var device = factory.DeviceClient(space);
        await device.IngestAsync(Batch(Reading(null, status, SecondsAgo(5))));
        using var anonymous = factory.Anonymous();
        await anonymous.WaitForSpaceStatusAsync(space.LotId, space.SpaceId, status);
    }

    [Fact]
    public async Task SeveralLotsPricedTogether_EachAsItsOwnQuote_GoneLotsLeftOut()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var lots = new List<Guid>();
        foreach (var (rate, multiplier) in new[] { (20m, 1.0), (12m, 2.0), (35m, 0.5) })
        {
            var (lat, lng) = SomewhereNew();
            var lot = Payloads.Lot($"Priced {rate}", lat, lng);
            lot["openingHours"] = new JsonArray();
            lot["baseHourlyRate"] = rate;
            var lotId = (await op.CreateLotAsync(lot)).Id();
            await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = multiplier, offPeakMultiplier = multiplier, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" }))
                .ShouldHaveStatusAsync(HttpStatusCode.OK);
            lots.Add(lotId);
        }
        var start = DateTimeOffset.UtcNow.AddHours(1);
        var search = factory.Services.GetRequiredService<SmartParking.Server.Modules.Web.DriverSearch>();

        var together = await search.QuotesAsync([.. lots, Guid.NewGuid()], start, TimeSpan.FromHours(2), null, CancellationToken.None);

        together.Keys.ShouldBe(lots, ignoreOrder: true);
        foreach (var lotId in lots)
        {
            var alone = (await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}/quote?{Window(start, TimeSpan.FromHours(2))}")).GetProperty("amount").GetDecimal();
            together[lotId].Amount.ShouldBe(alone, $"lot {lotId}");
            together[lotId].Open.ShouldBeTrue();
        }
        together.Values.Select(q => q.Amount).Distinct().Count().ShouldBe(3);
    }

    [Fact]
    public async Task ZonePolicy_Recompute_ZonePricedByItsOwnOccupancyInQuotesAvailabilityAndHistory_UntilRemoved()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var lot = await LotWithZoneAsync(op);
        await (await op.GetAsync($"/api/v1/manage/zones/{lot.ZoneId}/pricing-policy")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await op.PutAsJsonAsync($"/api/v1/manage/zones/{lot.ZoneId}/pricing-policy", new { baseRate = 30, peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        foreach (var space in lot.InZone) await ReportAsync(space, "occupied");
        await ReportAsync(lot.Outside, "free");

        await factory.RecomputeAsync();

        // The zone is full (above its band: one step up from its own base); the lot is 2 of 3 full, in its band.
        var zoneStep = (await op.GetJsonAsync($"/api/v1/manage/zones/{lot.ZoneId}/price-history")).EnumerateArray().First();
        (zoneStep.GetProperty("occupancy").GetDouble(), zoneStep.Str("rule"), zoneStep.GetProperty("demandRate").GetDecimal()).ShouldBe((1.0, "above_band", 33.00m));
        var lotStep = (await op.GetJsonAsync($"/api/v1/manage/lots/{lot.LotId}/price-history")).EnumerateArray().First();
        (lotStep.Str("rule"), lotStep.GetProperty("demandRate").GetDecimal()).ShouldBe(("in_band", 20.00m));
        (await QuoteAsync(anonymous, lot.LotId, $"&zoneId={lot.ZoneId}")).ShouldBe(33.00m);
        (await QuoteAsync(anonymous, lot.LotId, $"&spaceId={lot.InZone[0].SpaceId}")).ShouldBe(33.00m);
        (await QuoteAsync(anonymous, lot.LotId, $"&spaceId={lot.Outside.SpaceId}")).ShouldBe(20.00m);
        (await QuoteAsync(anonymous, lot.LotId)).ShouldBe(20.00m);
        var prices = await Poll.UntilAsync(() => SpacePricesAsync(anonymous, lot.LotId), p => p[lot.InZone[0].SpaceId] == 33.00m, Eventually, "the zone's price on its spaces");
        prices[lot.InZone[1].SpaceId].ShouldBe(33.00m);
        prices[lot.Outside.SpaceId].ShouldBeNull();

        (await op.DeleteAsync($"/api/v1/manage/zones/{lot.ZoneId}/pricing-policy")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await Poll.UntilAsync(() => SpacePricesAsync(anonymous, lot.LotId), p => p[lot.InZone[0].SpaceId] is null, Eventually, "the zone priced with its lot again");
        (await QuoteAsync(anonymous, lot.LotId, $"&zoneId={lot.ZoneId}")).ShouldBe(20.00m);
        await (await op.GetAsync($"/api/v1/manage/zones/{lot.ZoneId}/pricing-policy")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        var audit = (await op.GetJsonAsync($"/api/v1/manage/audit?entityId={lot.ZoneId}&pageSize=50")).Items().Select(e => e.Str("action")).ToList();
        audit.ShouldContain("pricing_policy.updated");
        audit.ShouldContain("pricing_policy.deleted");
    }

    [Fact]
    public async Task ZonePolicy_ReservationAndMeterSession_LockTheZonesPrice()
    {
        using var op = factory.OperatorClient();
        var lot = await LotWithZoneAsync(op);
        await (await op.PutAsJsonAsync($"/api/v1/manage/zones/{lot.ZoneId}/pricing-policy", new { baseRate = 30, peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        var (_, driver) = await factory.DriverAsync();
        using var _ = driver;
        var start = DateTimeOffset.UtcNow.AddHours(2);

        var inZone = await Reservations.BookingFactory.BookAsync(driver, Reservations.BookingFactory.Booking(lot.LotId, lot.InZone[0].SpaceId, start, TimeSpan.FromHours(1)));
        var outside = await Reservations.BookingFactory.BookAsync(driver, Reservations.BookingFactory.Booking(lot.LotId, lot.Outside.SpaceId, start, TimeSpan.FromHours(1)));
        var session = await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId = lot.LotId, zoneId = lot.ZoneId, plate = "ZN 12 345", durationMinutes = 30 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);

        inZone.GetProperty("price").GetDecimal().ShouldBe(30.00m);
        outside.GetProperty("price").GetDecimal().ShouldBe(20.00m);
        session.GetProperty("ratePerHour").GetDecimal().ShouldBe(30.00m);
    }

    [Fact]
    public async Task TypeMultipliers_QuoteNearbyAndBooking_PriceTheTypeApartWithinTheCap()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        var body = Payloads.Lot("Typed Lot", lat, lng);
        body["openingHours"] = new JsonArray();
        body["baseHourlyRate"] = 20m;
        var lotId = (await op.CreateLotAsync(body)).Id();
        var bad = await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { typeMultipliers = new Dictionary<string, decimal> { ["bus"] = 2m } });
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "typeMultipliers");
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new
        {
            peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00", capMultiple = 2, typeMultipliers = new Dictionary<string, decimal> { ["ev"] = 1.5m, ["motorcycle"] = 0.5m, ["loading"] = 3m },
        })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var ev = await op.CreateSensorAsync(lotId, "E1", "ev");
        await op.CreateSensorAsync(lotId, "S1");

        await factory.RecomputeAsync();

        (await QuoteAsync(anonymous, lotId)).ShouldBe(20.00m);
        (await QuoteAsync(anonymous, lotId, "&type=ev")).ShouldBe(30.00m);
        (await QuoteAsync(anonymous, lotId, "&type=motorcycle")).ShouldBe(10.00m);
        (await QuoteAsync(anonymous, lotId, "&type=loading")).ShouldBe(40.00m, "3x is held at the cap, 2x base");
        (await QuoteAsync(anonymous, lotId, $"&spaceId={ev.SpaceId}")).ShouldBe(30.00m);
        await (await anonymous.GetAsync($"/api/v1/lots/{lotId}/quote?{Window(DateTimeOffset.UtcNow.AddHours(1), TimeSpan.FromHours(1))}&spaceId={ev.SpaceId}&type=standard"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "type");
        var nearby = await Poll.UntilAsync(async () => await anonymous.GetJsonAsync($"/api/v1/availability?lat={lat}&lng={lng}&radius=50&type=ev"),
            n => n.GetArrayLength() == 1 && n[0].GetProperty("pricePerHour").GetDecimal() == 30.00m, Eventually, "the EV price in nearby results");
        nearby[0].GetProperty("lotId").GetGuid().ShouldBe(lotId);
        var (_, driver) = await factory.DriverAsync();
        using var __ = driver;
        var booked = await Reservations.BookingFactory.BookAsync(driver, new { lotId, spaceType = "ev", start = DateTimeOffset.UtcNow.AddHours(2), end = DateTimeOffset.UtcNow.AddHours(4) });
        booked.GetProperty("price").GetDecimal().ShouldBe(60.00m);
    }

    [Fact]
    public async Task DriverExperiment_QuotesFollowEachDriversStableGroup_AndTheReportSplitsByDriver()
    {
        var (tenantId, op, _) = await factory.NewTenantWithOperatorAsync();
        using var _op = op;
        var (lat, lng) = SomewhereNew();
        var body = Payloads.Lot("Experiment Lot", lat, lng);
        body["openingHours"] = new JsonArray();
        body["baseHourlyRate"] = 20m;
        var lotId = (await op.CreateLotAsync(body)).Id();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var created = await (await op.PostAsJsonAsync("/api/v1/manage/pricing-experiments", new
        {
            name = "Dearer for some drivers", unit = "drivers", share = 0.5, seed = "drivers-1",
            startsAt = DateTimeOffset.UtcNow.AddMinutes(-1), endsAt = DateTimeOffset.UtcNow.AddDays(7),
            variant = new { baseRate = 25, peakMultiplier = 1.0, offPeakMultiplier = 1.0, peakDays = OneBand.Week, peakStart = "00:00", peakEnd = "24:00" },
        })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        created.Str("unit").ShouldBe("drivers");
        var drivers = new List<(Guid Id, HttpClient Client)>();
        while (drivers.Select(d => Assignment.IsTreated("drivers-1", 0.5m, d.Id)).Distinct().Count() < 2 || drivers.Count < 4)
        {
            var (account, client) = await factory.DriverAsync();
            // Per-driver reports count only drivers who consented to analytics.
            await (await client.PutAsJsonAsync("/api/v1/me/consents", new { analytics = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
            drivers.Add((account.Id, client));
        }
        var (_, withoutConsent) = await factory.DriverAsync();
        using var _withoutConsent = withoutConsent;
        await (await withoutConsent.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "EX NC 001", durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        using var anonymous = factory.Anonymous();

        foreach (var (id, client) in drivers)
        {
            var expected = Assignment.IsTreated("drivers-1", 0.5m, id) ? 25.00m : 20.00m;
            (await QuoteAsync(client, lotId)).ShouldBe(expected);
            (await QuoteAsync(client, lotId)).ShouldBe(expected, "the same driver stays in the same group");
            var session = await (await client.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = $"EX {drivers.IndexOf((id, client)):D2} 001", durationMinutes = 60 }))
                .ShouldHaveStatusAsync(HttpStatusCode.Created);
            session.GetProperty("ratePerHour").GetDecimal().ShouldBe(expected);
        }
        (await QuoteAsync(anonymous, lotId)).ShouldBe(20.00m, "a quote for nobody in particular is the lot's own");

        await factory.DrainAsync();
        var report = await op.GetJsonAsync($"/api/v1/manage/pricing-experiments/{created.Id()}/report");
        var groups = report.GetProperty("groups").EnumerateArray().ToDictionary(g => g.Str("group"));
        groups["variant"].GetProperty("units").GetInt32().ShouldBe(drivers.Count(d => Assignment.IsTreated("drivers-1", 0.5m, d.Id)));
        groups["control"].GetProperty("units").GetInt32().ShouldBe(drivers.Count(d => !Assignment.IsTreated("drivers-1", 0.5m, d.Id)),
            "the driver who parked without consenting to analytics is not in the report");
        groups["variant"].GetProperty("turnover").GetProperty("mean").GetDouble().ShouldBe(1.0);
        groups["variant"].GetProperty("inBandShare").ValueKind.ShouldBe(JsonValueKind.Null);
        report.GetProperty("inBandDifference").ValueKind.ShouldBe(JsonValueKind.Null);
        foreach (var (_, client) in drivers) client.Dispose();
        _ = tenantId;
    }
}
