using System.Diagnostics;

namespace SmartParking.Server.Modules.Analytics.Forecasting;

public sealed record Errors(double Mae, double Rmse);

/// <summary>One lot's (or all lots') errors over the holdout, in occupancy share; BandCoverage is the share of actual
/// hours inside the forecast's 10th–90th percentile band (0.8 when the band is honest). StuckHours are the holdout hours
/// left out of scoring for every method because the feed was stuck (<see cref="StuckFeed"/>).</summary>
public sealed record BacktestScore(string Lot, int Hours, Errors Model, Errors SeasonalNaive, Errors MedianProfile, double BandCoverage, int StuckHours)
{
    /// <summary>Null when seasonal-naive is exact (a sensor stuck at one value).</summary>
    public double? ModelToSeasonalNaive => SeasonalNaive.Mae > 0 ? Model.Mae / SeasonalNaive.Mae : null;
}

/// <summary>A lot's hours with a value that were left out as a stuck feed: before the cut (by what training knew) and in the holdout.</summary>
public sealed record StuckFeedHours(string Lot, int BeforeCut, int Holdout);

public sealed record BacktestReport(IReadOnlyList<BacktestScore> Lots, BacktestScore Overall, IReadOnlyList<SkippedLot> Skipped,
    IReadOnlyList<StuckFeedHours> Stuck, ForecastModelInfo Model, TimeSpan TrainingTime, TimeSpan TotalTime);

/// <summary>
/// The honest backtest: for each lot, train on everything before its last holdoutDays and forecast the whole holdout
/// from that one origin, against seasonal-naive and the 4-week median profile from the same origin. Hours of a stuck
/// feed are scored for no method: what the feed said then is not what the lot did.
/// </summary>
public static class ForecastBacktest
{
    public static BacktestReport Run(IReadOnlyList<LotHistory> lots, int holdoutDays, ForecastSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(holdoutDays, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(holdoutDays, settings.MaxHorizonDays);
        var clock = Stopwatch.StartNew();
        var skipped = new List<SkippedLot>();
        var withCut = new List<(LotHistory Lot, DateTime CutUtc)>();
        var stuckHours = new List<StuckFeedHours>();
        foreach (var lot in lots)
        {
            if (lot.ObservedSpan() is not { } span)
            {
                skipped.Add(new SkippedLot(lot.Lot, "no readings"));
                continue;
            }
            var cut = span.EndUtc.AddDays(-holdoutDays);
            withCut.Add((lot, cut));
            var before = lot.Before(cut);
            var holdout = StuckFeed.Hours(lot).Skip(before.Share.Length).Count(stuck => stuck);
            var beforeCut = before.Share.Count(v => !double.IsNaN(v)) - lot.HoursObservedBefore(cut);
            if (beforeCut + holdout > 0) stuckHours.Add(new StuckFeedHours(lot.Lot, beforeCut, holdout));
        }
        var training = OccupancyForecaster.Train(withCut, settings);
        var trainingTime = clock.Elapsed;
        skipped.AddRange(training.Skipped);
        var trained = withCut.Where(l => training.Skipped.All(s => s.Lot != l.Lot.Lot)).ToList();

        var scores = new List<BacktestScore>();
        var all = new Accumulator("overall");
        foreach (var (lot, cut) in trained)
        {
            var forecast = training.Model.Forecast(lot, cut, holdoutDays);
            var (_, naive, profile) = training.Model.PointForecast(lot, cut, holdoutDays);
            var stuck = StuckFeed.Hours(lot);
            var one = new Accumulator(lot.Lot);
            for (var i = 0; i < forecast.Hours.Count; i++)
            {
                var at = (int)(cut - lot.StartUtc).TotalHours + i;
                if (at >= lot.Share.Length || double.IsNaN(lot.Share[at])) continue;
                if (stuck[at])
                {
                    one.Stuck();
                    all.Stuck();
                    continue;
                }
                var hour = forecast.Hours[i];
                one.Add(lot.Share[at], hour, naive[i], profile[i]);
                all.Add(lot.Share[at], hour, naive[i], profile[i]);
            }
            if (one.Count == 0) skipped.Add(new SkippedLot(lot.Lot, one.StuckHours > 0 ? $"the feed was stuck all through the holdout ({one.StuckHours} hours)" : "no readings in the holdout"));
            else scores.Add(one.Score());
        }
        if (all.Count == 0) throw new InvalidOperationException("no lot has readings in the holdout to score");
        return new BacktestReport(scores, all.Score(), skipped, stuckHours, training.Model.Info, trainingTime, clock.Elapsed);
    }

    private sealed class Accumulator(string lot)
    {
        private double model, modelSquared, naive, naiveSquared, profile, profileSquared;
        private int inBand;

        public int Count { get; private set; }

        public int StuckHours { get; private set; }

        public void Stuck() => StuckHours++;

        public void Add(double actual, HourlyForecast forecast, double seasonalNaive, double medianProfile)
        {
            Count++;
            Accumulate(actual - forecast.Share, ref model, ref modelSquared);
            Accumulate(actual - seasonalNaive, ref naive, ref naiveSquared);
            Accumulate(actual - medianProfile, ref profile, ref profileSquared);
            if (actual >= forecast.Low && actual <= forecast.High) inBand++;
        }

        public BacktestScore Score() => new(lot, Count, ErrorsOf(model, modelSquared), ErrorsOf(naive, naiveSquared),
            ErrorsOf(profile, profileSquared), (double)inBand / Count, StuckHours);

        private Errors ErrorsOf(double absolute, double squared) => new(absolute / Count, Math.Sqrt(squared / Count));

        private static void Accumulate(double error, ref double absolute, ref double squared)
        {
            absolute += Math.Abs(error);
            squared += error * error;
        }
    }
}
