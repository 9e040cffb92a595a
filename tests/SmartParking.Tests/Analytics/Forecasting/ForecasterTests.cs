using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Analytics.Forecasting;

[LongRunFirst]
public sealed class ForecasterTests
{
    [Fact]
    public void TrendingWeeklySeries_ModelBeatsSeasonalNaiveAndTheMedianProfile()
    {
        // Weeks where demand climbs or falls: the 4-week profile lags well behind and last week lags too.
        LotHistory[] lots =
        [
            Synthetic.Lot("rising", days: 84, level: 0.10, trendPerWeek: 0.02, seed: 1),
            Synthetic.Lot("falling", days: 84, level: 0.45, trendPerWeek: -0.02, seed: 2),
            Synthetic.Lot("steady", days: 84, level: 0.25, trendPerWeek: 0, seed: 3),
        ];

        var report = ForecastBacktest.Run(lots, holdoutDays: 28, Synthetic.FastSettings);

        report.Overall.Hours.ShouldBe(3 * 28 * 24);
        report.Overall.Model.Mae.ShouldBeLessThan(report.Overall.SeasonalNaive.Mae);
        report.Overall.Model.Mae.ShouldBeLessThan(report.Overall.MedianProfile.Mae);
        foreach (var lot in report.Lots.Where(l => l.Lot != "steady"))
            lot.Model.Mae.ShouldBeLessThan(lot.SeasonalNaive.Mae, $"lot {lot.Lot}");
    }

    [Fact]
    public void SchoolBreaks_AreLearnedFromEarlierBreaks_AndForecastForTheNextOne()
    {
        // Daytime demand is 0.25 higher in Denmark's school breaks (winter week 7, summer, autumn week 42); the holdout
        // holds the autumn break, which neither last week nor the 4-week profile has seen.
        var denmark = HolidayCalendar.ForCountry("DK")!;
        LotHistory[] lots = [.. Enumerable.Range(0, 3).Select(i =>
        {
            var lot = Synthetic.Lot($"shop{i}", days: 300, level: 0.1 + 0.1 * i, trendPerWeek: 0, seed: 40 + i);
            for (var h = 0; h < lot.Share.Length; h++)
            {
                var at = Synthetic.Start.AddHours(h);
                if (at.Hour is >= 8 and < 18 && denmark.IsSchoolHoliday(DateOnly.FromDateTime(at))) lot.Share[h] += 0.25;
            }
            return lot with { Holidays = denmark };
        })];

        // Origins 4 days apart still put every break in training several times (the model then scores about 0.3 of the baselines' error).
        var report = ForecastBacktest.Run(lots, holdoutDays: 14, Synthetic.FastSettings with { OriginStrideDays = 4 });

        report.Overall.Model.Mae.ShouldBeLessThan(0.75 * report.Overall.MedianProfile.Mae);
        report.Overall.Model.Mae.ShouldBeLessThan(0.75 * report.Overall.SeasonalNaive.Mae);
    }

    [Fact]
    public void SchoolBreaks_EmptyOfficeGaragesAndFillShoppingCentres_TheModelForecastsEachByItsKind()
    {
        // Office garages (busy on working days, quiet at weekends) lose 0.2 of their daytime demand in a school break;
        // shopping centres (busiest at weekends) gain 0.2. Pooled over all lots the breaks average out, so only a model
        // that tells the kinds apart forecasts the autumn break in the holdout.
        var denmark = HolidayCalendar.ForCountry("DK")!;
        LotHistory[] lots = [.. Enumerable.Range(0, 4).Select(i =>
        {
            var shop = i % 2 == 1;
            var lot = Synthetic.Lot(shop ? $"shop{i}" : $"office{i}", days: 300, level: 0.1 + 0.05 * i, trendPerWeek: 0, seed: 60 + i);
            for (var h = 0; h < lot.Share.Length; h++)
            {
                var at = Synthetic.Start.AddHours(h);
                if (at.Hour is < 8 or >= 18) continue;
                if (shop && at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) lot.Share[h] += 0.35;
                if (denmark.IsSchoolHoliday(DateOnly.FromDateTime(at))) lot.Share[h] += shop ? 0.2 : -0.2;
            }
            return lot with { Holidays = denmark };
        })];

        var report = ForecastBacktest.Run(lots, holdoutDays: 14, Synthetic.FastSettings);

        foreach (var lot in report.Lots)
            lot.Model.Mae.ShouldBeLessThan(0.75 * lot.MedianProfile.Mae, $"lot {lot.Lot}");
    }

    [Fact]
    public void Forecast_EveryHourFromTheOrigin_WithTheValueInsideItsBand()
    {
        var lots = new[] { Synthetic.Lot("a", 56, 0.2, 0.01, seed: 4), Synthetic.Lot("b", 56, 0.3, 0, seed: 5) };
        var cut = Synthetic.Start.AddDays(56);
        var training = OccupancyForecaster.Train(lots, cut, Synthetic.FastSettings);

        var forecast = training.Model.Forecast(lots[0], cut, days: 30);

        forecast.Hours.Count.ShouldBe(30 * 24);
        forecast.Hours.Select(h => h.HourUtc).ShouldBe(Enumerable.Range(0, 30 * 24).Select(i => cut.AddHours(i)));
        forecast.Hours.ShouldAllBe(h => h.Low >= 0 && h.Low <= h.Share && h.Share <= h.High && h.High <= 1);
        forecast.Hours.ShouldContain(h => h.High - h.Low > 0);
        forecast.Model.TrainedToUtc.ShouldBe(cut);
        forecast.Model.ValidationMae.ShouldNotBeNull();
        forecast.Model.Version.ShouldStartWith(OccupancyForecaster.FeatureSet + "-fasttree-");
    }

    [Fact]
    public void ShortHistory_IsSkippedAndSaidSo_StuckSensorsAreLeftOutAndGapsDoNotCrash()
    {
        var stuck = new LotHistory("stuck-at-zero", Synthetic.Start, new double[56 * 24], TimeZoneInfo.Utc, HolidayCalendar.None);
        var gappy = Synthetic.Lot("gappy", 56, 0.2, 0, seed: 6);
        Array.Fill(gappy.Share, double.NaN, 20 * 24, 10 * 24);
        var young = Synthetic.Lot("young", 56, 0.2, 0, seed: 7);
        Array.Fill(young.Share, double.NaN, 0, 45 * 24);

        var report = ForecastBacktest.Run([stuck, gappy, young], holdoutDays: 7, Synthetic.FastSettings);

        report.Skipped.Select(s => s.Lot).ShouldBe(["stuck-at-zero", "young"], ignoreOrder: true);
        report.Skipped.Single(s => s.Lot == "young").Reason.ShouldContain("14 needed");
        report.Skipped.Single(s => s.Lot == "stuck-at-zero").Reason.ShouldContain($"{49 * 24} hours of a stuck feed left out");
        report.Lots.Select(l => l.Lot).ShouldBe(["gappy"]);
        report.Stuck.ShouldBe([new StuckFeedHours("stuck-at-zero", 49 * 24, 7 * 24)]);
    }

    [Fact]
    public void ManyLots_TrainOnAUniformSampleOfAtMostMaxExamples_AndEveryLotIsStillForecast()
    {
        var lots = Enumerable.Range(0, 12).Select(i => Synthetic.Lot($"lot{i}", 42, 0.1 + 0.05 * (i % 5), 0.005 * (i % 3 - 1), seed: 20 + i)).ToList();
        var cut = Synthetic.Start.AddDays(42);
        var settings = Synthetic.FastSettings with { MaxExamples = 3_000, ValidationLots = 4 };

        var training = OccupancyForecaster.Train(lots, cut, settings);
        var again = OccupancyForecaster.Train(lots, cut, settings);

        training.Model.Info.Examples.ShouldBeInRange(2_500, 3_500);
        training.Model.Info.Lots.ShouldBe(12);
        again.Model.Forecast(lots[11], cut, 7).Hours.Select(h => h.Share)
            .ShouldBe(training.Model.Forecast(lots[11], cut, 7).Hours.Select(h => h.Share));
        training.Model.Forecast(lots[11], cut, 7).Hours.ShouldAllBe(h => h.Low <= h.Share && h.Share <= h.High);
    }
}
