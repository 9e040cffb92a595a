using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Pricing;

namespace SmartParking.Tests.Pricing;

/// <summary>Every pricing rule and limit on its own, with a Copenhagen lot (so daylight-saving days are real ones).</summary>
public sealed class PricingEngineTests
{
    private static readonly LotFacts Lot = new(Guid.NewGuid(), Guid.NewGuid(), "Harbour", "off_street", "Europe/Copenhagen", [], 20m, "DKK", 56.15, 10.21);
    private static readonly TimeZoneInfo Copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");

    private static DateTimeOffset Local(int year, int month, int day, int hour, int minute = 0)
    {
        var local = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Copenhagen.GetUtcOffset(local));
    }

    [Theory]
    [InlineData(0.95, 22.00, PricingRules.AboveBand)]
    [InlineData(0.30, 18.00, PricingRules.BelowBand)]
    [InlineData(0.70, 20.00, PricingRules.InBand)]
    [InlineData(0.85, 20.00, PricingRules.InBand)]
    [InlineData(0.60, 20.00, PricingRules.InBand)]
    public void NextDemandRate_OccupancyAgainstTheBand_MovesOneStep(double occupancy, decimal expected, string rule)
    {
        var step = PricingEngine.NextDemandRate(Lot, PricingPolicy.Default, 20m, occupancy);

        step.Rate.ShouldBe(expected);
        step.Rule.ShouldBe(rule);
    }

    [Theory]
    [InlineData(0.5, 1.0, 50, 0.75)]
    [InlineData(0.5, 1.0, 0, 0.5)]
    [InlineData(0.5, null, 50, 0.5)]
    [InlineData(null, 0.9, 50, 0.9)]
    public void Signal_LiveBlendedWithForecastByTheWeight(double? live, double? forecast, int weight, double expected) =>
        PricingEngine.Signal(PricingPolicy.Default with { ForecastWeightPercent = weight }, live, forecast)!.Value.ShouldBe(expected, 1e-9);

    [Fact]
    public void NextDemandRate_InBandNowButForecastFull_RaisesAhead()
    {
        var step = PricingEngine.NextDemandRate(Lot, PricingPolicy.Default, 20m, 0.8, forecast: 1.0);

        step.ShouldBe(new DemandStep(22.00m, PricingRules.AboveBand));
    }

    [Fact]
    public void NextDemandRate_NoOccupancyKnown_KeepsTheRate() =>
        PricingEngine.NextDemandRate(Lot, PricingPolicy.Default, 23.40m, null).ShouldBe(new DemandStep(23.40m, PricingRules.NoOccupancy));

    [Fact]
    public void NextDemandRate_HugeStepUp_LimitedToPlusFiftyPercent() =>
        PricingEngine.NextDemandRate(Lot, PricingPolicy.Default with { StepPercent = 100 }, 20m, 1.0).Rate.ShouldBe(30m);

    [Fact]
    public void NextDemandRate_HugeStepDown_LimitedToMinusTwentyPercent() =>
        PricingEngine.NextDemandRate(Lot, PricingPolicy.Default with { StepPercent = 100 }, 20m, 0.0).Rate.ShouldBe(16m);

    [Fact]
    public void NextDemandRate_ExtremeSwings_NeverBeyondThreeTimesBaseOrBelowTheFloor()
    {
        var policy = PricingPolicy.Default with { StepPercent = 100, Floor = 5m };
        var rate = 20m;
        var seen = new List<decimal>();
        for (var i = 0; i < 50; i++) seen.Add(rate = PricingEngine.NextDemandRate(Lot, policy, rate, 1.0).Rate);
        for (var i = 0; i < 50; i++) seen.Add(rate = PricingEngine.NextDemandRate(Lot, policy, rate, 0.0).Rate);
        for (var i = 0; i < 50; i++) seen.Add(rate = PricingEngine.NextDemandRate(Lot, policy, rate, i % 2 == 0 ? 1.0 : 0.0).Rate);

        seen.Max().ShouldBe(60m);
        seen.Min().ShouldBe(5m);
        seen.ShouldAllBe(r => r >= 5m && r <= 60m);
    }

    [Theory]
    [InlineData("DKK", null, 21.234, 21.23)]
    [InlineData("DKK", 0.5, 21.234, 21.0)]
    [InlineData("DKK", 0.5, 21.25, 21.5)]
    [InlineData("JPY", null, 2123.6, 2124)]
    public void Bound_RoundsToTheCurrencysStep(string currency, double? step, decimal rate, decimal expected)
    {
        var lot = Lot with { Currency = currency, BaseHourlyRate = 5000m };
        PricingEngine.Bound(lot, PricingPolicy.Default with { RoundingStep = (decimal?)step, Floor = 0m }, rate).ShouldBe(expected);
    }

    [Fact]
    public void NextDemandRate_EmptyLotAllNightWithNoFloorSet_StopsAtHalfTheBaseRate()
    {
        var rate = 20m;
        for (var i = 0; i < 100; i++) rate = PricingEngine.NextDemandRate(Lot, PricingPolicy.Default, rate, 0.0).Rate;

        rate.ShouldBe(10m);
    }

    [Fact]
    public void Bound_RoundingNeverLiftsAPriceOverTheCap() =>
        PricingEngine.Bound(Lot with { BaseHourlyRate = 20.1m }, PricingPolicy.Default with { RoundingStep = 1m }, 1000m).ShouldBe(60m);

    [Theory]
    [InlineData(6, 59, false)]
    [InlineData(7, 0, true)]
    [InlineData(18, 59, true)]
    [InlineData(19, 0, false)]
    public void IsPeak_WeekdayLocalTime_SevenToSeven(int hour, int minute, bool peak) =>
        PricingEngine.IsPeak(Local(2026, 11, 24, hour, minute), Copenhagen, PricingPolicy.Default).ShouldBe(peak);

    [Fact]
    public void IsPeak_Saturday_OffPeakByDefaultAndPeakWhenTheOperatorSaysSo()
    {
        var saturdayNoon = Local(2026, 11, 28, 12);
        PricingEngine.IsPeak(saturdayNoon, Copenhagen, PricingPolicy.Default).ShouldBeFalse();
        PricingEngine.IsPeak(saturdayNoon, Copenhagen, PricingPolicy.Default with { PeakDays = ["sat"] }).ShouldBeTrue();
    }

    [Fact]
    public void Segments_AcrossThePeakStart_TwoPiecesAtTheirRates()
    {
        var segments = PricingEngine.Segments(Lot, PricingPolicy.Default, [], DemandRates.Both(20m), Local(2026, 11, 24, 6), Local(2026, 11, 24, 8, 30));

        segments.Select(s => (s.Period, s.RatePerHour, s.Amount)).ShouldBe([("off_peak", 12m, 12m), ("peak", 20m, 30m)]);
        segments[1].From.ShouldBe(Local(2026, 11, 24, 7));
    }

    [Fact]
    public void Segments_AcrossThePeakEnd_EachBandAtItsOwnDemandRate()
    {
        // The day has been busy (peak demand 30), the nights empty (off-peak demand at the floor, 10).
        var rates = new DemandRates(Peak: 30m, OffPeak: 10m);
        var flat = PricingPolicy.Default with { OffPeakMultiplier = 1 };

        var segments = PricingEngine.Segments(Lot, flat, [], rates, Local(2026, 11, 24, 18), Local(2026, 11, 24, 20));

        segments.Select(s => (s.Period, s.RatePerHour)).ShouldBe([("peak", 30m), ("off_peak", 10m)]);
        PricingEngine.RateAt(Lot, flat, [], rates, Local(2026, 11, 24, 12)).Rate.ShouldBe(30m);
        PricingEngine.RateAt(Lot, flat, [], rates, Local(2026, 11, 24, 23)).Rate.ShouldBe(10m);
    }

    [Fact]
    public void DemandRates_AWeekOfEmptyNightsAndInBandDays_LeaveTheDaytimeRateWhereTheDaysPutIt()
    {
        // What the scheduler does each hour: step only the band the hour falls in, from that hour's occupancy.
        var rates = DemandRates.Both(20m);
        for (var hour = Local(2026, 11, 23, 0); hour < Local(2026, 11, 28, 0); hour = hour.AddHours(1))
        {
            var peak = PricingEngine.IsPeak(Lot, PricingPolicy.Default, hour);
            var occupancy = peak ? 0.75 : 0.10;
            rates = rates.With(peak, PricingEngine.NextDemandRate(Lot, PricingPolicy.Default, rates.For(peak), occupancy).Rate);
        }

        rates.Peak.ShouldBe(20m);
        rates.OffPeak.ShouldBe(10m); // the floor: half the base
    }

    [Fact]
    public void DemandRates_Scaled_MovesBothBandsAndHoldsEachInBounds()
    {
        var scaled = new DemandRates(22m, 10m).Scaled(1.5m, rate => PricingEngine.Bound(Lot, PricingPolicy.Default with { Floor = 16m }, rate));

        scaled.ShouldBe(new DemandRates(33m, 16m));
    }

    [Fact]
    public void Segments_SpringForwardNight_ChargesTheHoursThatExisted()
    {
        // 29 March 2026: clocks go from 02:00 to 03:00 in Copenhagen, so local 00:00–06:00 is five hours (a Sunday, off-peak).
        var segments = PricingEngine.Segments(Lot, PricingPolicy.Default, [], DemandRates.Both(20m), Local(2026, 3, 29, 0), Local(2026, 3, 29, 6));

        segments.ShouldHaveSingleItem().Amount.ShouldBe(60m);
    }

    [Fact]
    public void Segments_FallBackNight_ChargesTheExtraHour()
    {
        // 25 October 2026: 03:00 goes back to 02:00, so local 00:00–06:00 is seven hours.
        var start = Local(2026, 10, 25, 0);
        var segments = PricingEngine.Segments(Lot, PricingPolicy.Default, [], DemandRates.Both(20m), start, start.AddHours(7));

        segments.Sum(s => s.Amount).ShouldBe(84m);
    }

    [Fact]
    public void Segments_PeakStartOnADaylightSavingMonday_IsSevenLocalInBothSeasons()
    {
        var summer = PricingEngine.Segments(Lot, PricingPolicy.Default, [], DemandRates.Both(20m), Local(2026, 3, 30, 6), Local(2026, 3, 30, 8));
        var winter = PricingEngine.Segments(Lot, PricingPolicy.Default, [], DemandRates.Both(20m), Local(2026, 10, 26, 6), Local(2026, 10, 26, 8));

        summer[1].From.UtcDateTime.Hour.ShouldBe(5);
        winter[1].From.UtcDateTime.Hour.ShouldBe(6);
    }

    [Fact]
    public void Segments_EventSurge_OnlyInsideItsWindowAndArea()
    {
        var concert = new PricingEvent(Guid.NewGuid(), "Concert", Local(2026, 11, 24, 9), Local(2026, 11, 24, 10), 1.5m, Lot.Latitude, Lot.Longitude, 500);
        var elsewhere = concert with { Name = "Far away", Latitude = Lot.Latitude + 0.1, Multiplier = 2m };

        var segments = PricingEngine.Segments(Lot, PricingPolicy.Default, [concert, elsewhere], DemandRates.Both(20m), Local(2026, 11, 24, 8), Local(2026, 11, 24, 11));

        segments.Select(s => (s.Event, s.RatePerHour)).ShouldBe([(null, 20m), ("Concert", 30m), (null, 20m)]);
        segments.Sum(s => s.Amount).ShouldBe(70m);
    }

    [Fact]
    public void Surge_AboveThePolicysMaximum_CappedAtIt()
    {
        var riot = new PricingEvent(Guid.NewGuid(), "Final", Local(2026, 11, 24, 9), Local(2026, 11, 24, 10), 5m, Lot.Latitude, Lot.Longitude, 500);

        PricingEngine.Surge(Lot, PricingPolicy.Default, [riot], Local(2026, 11, 24, 9, 30)).Multiplier.ShouldBe(2m);
        PricingEngine.RateAt(Lot, PricingPolicy.Default, [riot], DemandRates.Both(40m), Local(2026, 11, 24, 9, 30)).Rate.ShouldBe(60m);
    }

    [Theory]
    [InlineData(null, 20.0)]
    [InlineData("standard", 20.0)]
    [InlineData("ev", 30.0)]
    [InlineData("motorcycle", 10.0)]
    [InlineData("loading", 60.0)]
    public void RateAt_SpaceTypeFactor_AppliedThenHeldAtTheCap(string? type, double expected)
    {
        var policy = PricingPolicy.Default with
        {
            PeakMultiplier = 1, OffPeakMultiplier = 1,
            TypeMultipliers = new Dictionary<string, decimal> { ["ev"] = 1.5m, ["motorcycle"] = 0.5m, ["loading"] = 3m },
        };

        // Demand already at 2x base: a 3x type factor would make 6x, and the cap holds it at 3x base.
        var demand = type == "loading" ? 40m : 20m;
        PricingEngine.RateAt(Lot, policy, [], DemandRates.Both(demand), Local(2026, 11, 24, 9), type).Rate.ShouldBe((decimal)expected);
        PricingEngine.Segments(Lot, policy, [], DemandRates.Both(demand), Local(2026, 11, 24, 9), Local(2026, 11, 24, 10), type).Single().TypeMultiplier
            .ShouldBe(policy.TypeMultiplier(type));
    }

    [Fact]
    public void Validate_LimitsBeyondTheIssuesBounds_400NamesEachField()
    {
        var bad = PricingPolicy.Default with { MaxRaisePercent = 60, MaxCutPercent = 30, CapMultiple = 4, MaxSurge = 2.5m, BandHighPercent = 50, PeakEnd = "06:00" };

        var errors = Should.Throw<SmartParking.Server.Platform.Errors.ValidationException>(bad.Validate).Errors;

        errors.Keys.ShouldBe(["maxRaisePercent", "maxCutPercent", "capMultiple", "maxSurge", "bandHighPercent", "peakEnd"], ignoreOrder: true);
    }
}
