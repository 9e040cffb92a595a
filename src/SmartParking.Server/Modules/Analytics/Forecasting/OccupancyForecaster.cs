using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace SmartParking.Server.Modules.Analytics.Forecasting;

public enum ForecastLearner { FastTree, LightGbm }

/// <summary>
/// How the model is trained. Training origins are taken every <see cref="OriginStrideDays"/> days at the local hour of
/// the cut, each with targets up to <see cref="MaxHorizonDays"/> ahead (and before the cut). The band comes from a
/// backtest inside the training window: the same training run once more with the last <see cref="ValidationDays"/>
/// held out, whose errors per horizon week give the 10th and 90th percentiles. A city of thousands of lots has far more
/// examples than a model needs: training keeps a uniform sample of at most <see cref="MaxExamples"/>, and the band's
/// backtest runs on at most <see cref="ValidationLots"/> lots (the rest use the pooled band).
/// </summary>
public sealed record ForecastSettings(
    ForecastLearner Learner = ForecastLearner.FastTree,
    int Trees = 100,
    int Leaves = 8,
    int MinimumExamplesPerLeaf = 500,
    double LearningRate = 0.2,
    int MaxHorizonDays = 30,
    int OriginStrideDays = 3,
    int MinimumHistoryDays = 14,
    int ValidationDays = 28,
    int MaxExamples = 2_000_000,
    int ValidationLots = 300,
    int Seed = 1);

/// <summary>What a model is: its version, what it learned from, and how it did on its own validation backtest.</summary>
public sealed record ForecastModelInfo(string Version, string Learner, DateTime TrainedFromUtc, DateTime TrainedToUtc, int Lots,
    int Examples, double? ValidationMae, double? ValidationSeasonalNaiveMae, TimeSpan TrainingTime);

/// <summary>One forecast hour: the expected occupancy share and the 10th–90th percentile band around it.</summary>
public sealed record HourlyForecast(DateTime HourUtc, double Share, double Low, double High);

public sealed record LotForecast(string Lot, DateTime OriginUtc, IReadOnlyList<HourlyForecast> Hours, ForecastModelInfo Model);

/// <summary>A lot left out of training, and why.</summary>
public sealed record SkippedLot(string Lot, string Reason);

public sealed record TrainingOutcome(OccupancyForecastModel Model, IReadOnlyList<SkippedLot> Skipped);

/// <summary>Trains one model across lots on occupancy share (lots differ in capacity, not in how demand moves).</summary>
public static class OccupancyForecaster
{
    public const string FeatureSet = "f3";

    /// <summary>
    /// Occupancy errors are heavy-tailed (stuck sensors, events), the learners only minimise squared error, and the
    /// backtest is judged on absolute error. So each fit weights an example by 1 / |its residual| (iteratively
    /// reweighted least squares towards least absolute deviation), two steps, so a few wild hours do not pull every
    /// forecast. The floor keeps near-exact hours from dominating.
    /// </summary>
    private const double ResidualFloor = 0.02;


    /// <summary>Trains on every lot's history before <paramref name="cutUtc"/>.</summary>
    public static TrainingOutcome Train(IReadOnlyList<LotHistory> lots, DateTime cutUtc, ForecastSettings settings) =>
        Train(lots.Select(l => (l, cutUtc)).ToList(), settings);

    /// <summary>Trains on each lot's history before its own cut (lots whose data end at different times).</summary>
    public static TrainingOutcome Train(IReadOnlyList<(LotHistory Lot, DateTime CutUtc)> lots, ForecastSettings settings)
    {
        var clock = Stopwatch.StartNew();
        var skipped = new List<SkippedLot>();
        var usable = new List<(LotHistory Lot, DateTime CutUtc)>();
        foreach (var (lot, cut) in lots)
        {
            var observed = lot.HoursObservedBefore(cut);
            if (observed < settings.MinimumHistoryDays * 24)
            {
                var stuck = lot.Before(cut).Share.Count(v => !double.IsNaN(v)) - observed;
                skipped.Add(new SkippedLot(lot.Lot, $"{observed / 24.0:0.#} days of history before the cut, {settings.MinimumHistoryDays} needed" +
                                                    (stuck > 0 ? $" ({stuck} hours of a stuck feed left out)" : "")));
            }
            else usable.Add((lot, cut));
        }
        if (usable.Count == 0) throw new InvalidOperationException("no lot has enough history to train on");

        var ml = new MLContext(settings.Seed);
        var bands = ValidationBands(ml, usable, settings, out var validationMae, out var validationNaiveMae);
        var examples = Examples(usable, settings);
        var model = Fit(ml, examples, settings);
        var from = usable.Min(l => l.Lot.ObservedSpan()!.Value.FirstUtc);
        var to = usable.Max(l => l.CutUtc);
        var info = new ForecastModelInfo($"{FeatureSet}-{settings.Learner.ToString().ToLowerInvariant()}-{to:yyyyMMdd'T'HHmm'Z'}",
            settings.Learner.ToString(), from, to, usable.Count, examples.Count, validationMae, validationNaiveMae, clock.Elapsed);
        return new TrainingOutcome(new OccupancyForecastModel(ml, model, info, bands, settings), skipped);
    }

    /// <summary>
    /// The residual percentiles per lot and horizon week, from a model trained with the last ValidationDays of each lot's
    /// training window held out and forecast from that one origin: errors as a forecast made weeks ahead really has them.
    /// </summary>
    private static BandPercentiles ValidationBands(MLContext ml, List<(LotHistory Lot, DateTime CutUtc)> lots, ForecastSettings settings,
        out double? mae, out double? naiveMae)
    {
        mae = naiveMae = null;
        // Scored against what the training window knows (a stuck feed's hours are gaps there).
        var inner = lots.Select(l => (Lot: l.Lot.Known(l.CutUtc), CutUtc: l.CutUtc.AddDays(-settings.ValidationDays)))
            .Where(l => l.Lot.HoursObservedBefore(l.CutUtc) >= settings.MinimumHistoryDays * 24).ToList();
        if (inner.Count > settings.ValidationLots)
        {
            var every = (double)inner.Count / settings.ValidationLots;
            inner = Enumerable.Range(0, settings.ValidationLots).Select(i => inner[(int)(i * every)]).ToList();
        }
        var residuals = new BandResiduals();
        if (inner.Count == 0) return residuals.Percentiles();
        var examples = Examples(inner, settings);
        if (examples.Count == 0) return residuals.Percentiles();
        var info = new ForecastModelInfo($"{FeatureSet}-validation", settings.Learner.ToString(), DateTime.MinValue,
            inner.Max(l => l.CutUtc), inner.Count, examples.Count, null, null, TimeSpan.Zero);
        var model = new OccupancyForecastModel(ml, Fit(ml, examples, settings), info, BandPercentiles.None, settings);
        double error = 0, naiveError = 0;
        var n = 0;
        foreach (var (lot, cut) in inner)
        {
            var (forecast, naive, _) = model.PointForecast(lot, cut, settings.ValidationDays);
            for (var i = 0; i < forecast.Length; i++)
            {
                var at = (int)(cut - lot.StartUtc).TotalHours + i;
                if (at >= lot.Share.Length || double.IsNaN(lot.Share[at])) continue;
                residuals.Add(lot.Lot, i / LocalHours.Week, lot.Share[at] - forecast[i]);
                error += Math.Abs(lot.Share[at] - forecast[i]);
                naiveError += Math.Abs(lot.Share[at] - naive[i]);
                n++;
            }
        }
        if (n > 0)
        {
            mae = error / n;
            naiveMae = naiveError / n;
        }
        return residuals.Percentiles();
    }

    internal static List<ForecastExample> Examples(IReadOnlyList<(LotHistory Lot, DateTime CutUtc)> lots, ForecastSettings settings)
    {
        var maxHorizon = settings.MaxHorizonDays * 24;
        var windows = new List<(LocalHours Hours, int FirstOrigin, int Cut)>();
        long candidates = 0;
        foreach (var (lot, cut) in lots)
        {
            var known = lot.Known(cut);
            if (known.ObservedSpan() is not { } span) continue;
            var hours = new LocalHours(known);
            var (firstOrigin, cutIndex) = (hours.IndexOf(span.FirstUtc.AddDays(settings.MinimumHistoryDays)), hours.IndexOf(cut));
            windows.Add((hours, firstOrigin, cutIndex));
            foreach (var origin in Origins(cutIndex, firstOrigin, settings)) candidates += Math.Min(cutIndex, origin + maxHorizon) - origin;
        }
        // The same uniform sample on every run with the same data and seed.
        var keep = Math.Min(1.0, (double)settings.MaxExamples / Math.Max(1, candidates));
        var sample = new Random(settings.Seed);
        var examples = new List<ForecastExample>((int)Math.Min(candidates, settings.MaxExamples + settings.MaxExamples / 10));
        foreach (var (hours, firstOrigin, cutIndex) in windows)
            foreach (var origin in Origins(cutIndex, firstOrigin, settings))
            {
                var levels = ForecastFeatures.Levels(hours, origin);
                if (double.IsNaN(levels.Fallback)) continue;
                for (var target = origin; target < Math.Min(cutIndex, origin + maxHorizon); target++)
                {
                    if (keep < 1 && sample.NextDouble() >= keep) continue;
                    var actual = hours.At(target);
                    if (double.IsNaN(actual)) continue;
                    var features = new float[ForecastFeatures.Count];
                    var profile = ForecastFeatures.Fill(hours, origin, levels, target, features);
                    examples.Add(new ForecastExample { Features = features, Label = (float)(actual - profile) });
                }
            }
        return examples;
    }

    /// <summary>Training origins at the cut's local hour, so a training origin sits where the real one will.</summary>
    private static IEnumerable<int> Origins(int cutIndex, int firstOrigin, ForecastSettings settings)
    {
        for (var origin = cutIndex - 24; origin >= firstOrigin; origin -= 24 * settings.OriginStrideDays) yield return origin;
    }

    private static ITransformer Fit(MLContext ml, List<ForecastExample> examples, ForecastSettings settings)
    {
        // The first step starts from the median profile itself (a model that predicts no difference).
        foreach (var e in examples) e.Weight = (float)(1 / Math.Max(Math.Abs(e.Label), ResidualFloor));
        var first = Trainer(ml, settings).Fit(ml.Data.LoadFromEnumerable(examples));
        var fitted = first.Transform(ml.Data.LoadFromEnumerable(examples)).GetColumn<float>("Score").ToArray();
        for (var i = 0; i < examples.Count; i++)
            examples[i].Weight = (float)(1 / Math.Max(Math.Abs(examples[i].Label - fitted[i]), ResidualFloor));
        return Trainer(ml, settings).Fit(ml.Data.LoadFromEnumerable(examples));
    }

    private static IEstimator<ITransformer> Trainer(MLContext ml, ForecastSettings settings)
    {
        return settings.Learner switch
        {
            ForecastLearner.FastTree => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                NumberOfTrees = settings.Trees,
                NumberOfLeaves = settings.Leaves,
                MinimumExampleCountPerLeaf = settings.MinimumExamplesPerLeaf,
                LearningRate = settings.LearningRate,
                ExampleWeightColumnName = "Weight",
            }),
            ForecastLearner.LightGbm => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                NumberOfIterations = settings.Trees,
                NumberOfLeaves = settings.Leaves,
                MinimumExampleCountPerLeaf = settings.MinimumExamplesPerLeaf,
                LearningRate = settings.LearningRate,
                Seed = settings.Seed,
                ExampleWeightColumnName = "Weight",
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Learner, "unknown learner"),
        };
    }
}

/// <summary>One training or scoring row for ML.NET (it needs public members to read it).</summary>
public sealed class ForecastExample
{
    [VectorType(ForecastFeatures.Count)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }

    public float Weight { get; set; }
}

/// <summary>A 10th and 90th percentile of forecast residuals (actual − forecast).</summary>
public readonly record struct ResidualBand(double Low, double High);

/// <summary>
/// The validation residuals by lot and horizon week, while training collects them; a model keeps only their percentiles.
/// </summary>
internal sealed class BandResiduals
{
    private const int MinimumResiduals = 48;

    private readonly Dictionary<string, List<double>[]> byLot = new(StringComparer.Ordinal);
    private readonly List<double>[] pooled = NewWeeks();

    private static List<double>[] NewWeeks() => Enumerable.Range(0, BandPercentiles.Weeks).Select(_ => new List<double>()).ToArray();

    public void Add(string lot, int week, double residual)
    {
        week = Math.Min(week, BandPercentiles.Weeks - 1);
        if (!byLot.TryGetValue(lot, out var weeks)) byLot[lot] = weeks = NewWeeks();
        weeks[week].Add(residual);
        pooled[week].Add(residual);
    }

    public BandPercentiles Percentiles() => new(
        byLot.ToDictionary(l => l.Key, l => l.Value.Select(Of).ToArray(), StringComparer.Ordinal),
        pooled.Select(Of).ToArray());

    private static ResidualBand? Of(List<double> residuals) =>
        residuals.Count < MinimumResiduals ? null : new ResidualBand(Percentile(residuals, 0.1), Percentile(residuals, 0.9));

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var below = (int)Math.Floor(rank);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (rank - below);
    }
}

/// <summary>
/// A model's band: per lot and horizon week (null where validation had too few residuals) and for all lots together.
/// A week past the validation window uses the furthest week measured.
/// </summary>
internal sealed record BandPercentiles(Dictionary<string, ResidualBand?[]> Lots, ResidualBand?[] Pooled)
{
    public const int Weeks = 5;

    public static readonly BandPercentiles None = new([], new ResidualBand?[Weeks]);

    /// <summary>(−1, +1), no information, when validation measured nothing.</summary>
    public ResidualBand Band(string lot, int week)
    {
        week = Math.Min(week, Weeks - 1);
        if (LastFilled(Pooled, week) is not { } all) return new ResidualBand(-1, 1);
        if (!Lots.TryGetValue(lot, out var weeks) || LastFilled(weeks, week) is not { } own) return all;
        // One lot's 28 validation days rarely show all it can do (a school break, a stuck sensor), so its band is at
        // least as wide as all lots' together.
        return new ResidualBand(Math.Min(own.Low, all.Low), Math.Max(own.High, all.High));
    }

    private static ResidualBand? LastFilled(ResidualBand?[] weeks, int week)
    {
        for (var w = Math.Min(week, weeks.Length - 1); w >= 0; w--)
            if (weeks[w] is { } band) return band;
        return null;
    }
}

/// <summary>A trained model: forecasts a lot's hourly occupancy share from an origin, with its band.</summary>
public sealed partial class OccupancyForecastModel
{
    private readonly MLContext ml;
    private readonly ITransformer model;
    private readonly BandPercentiles bands;
    private readonly ForecastSettings settings;

    internal OccupancyForecastModel(MLContext ml, ITransformer model, ForecastModelInfo info, BandPercentiles bands, ForecastSettings settings)
    {
        this.ml = ml;
        this.model = model;
        Info = info;
        this.bands = bands;
        this.settings = settings;
    }

    public ForecastModelInfo Info { get; }

    /// <summary>
    /// The forecast for each UTC hour from <paramref name="originUtc"/> for <paramref name="days"/> days (at most the
    /// trained horizon), from the lot's history before the origin only.
    /// </summary>
    public LotForecast Forecast(LotHistory lot, DateTime originUtc, int days)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, settings.MaxHorizonDays);
        if (lot.HoursObservedBefore(originUtc) < settings.MinimumHistoryDays * 24)
            throw new ArgumentException($"lot {lot.Lot} has less than {settings.MinimumHistoryDays} days of history before {originUtc:O}", nameof(lot));
        var (forecast, _, _, weeks) = Score(lot, originUtc, days);
        var hours = new HourlyForecast[forecast.Length];
        for (var i = 0; i < forecast.Length; i++)
        {
            var (low, high) = bands.Band(lot.Lot, weeks[i]);
            // A biased validation can put both percentiles on one side; the band still holds the forecast itself.
            hours[i] = new HourlyForecast(originUtc.AddHours(i), forecast[i],
                Math.Clamp(forecast[i] + Math.Min(low, 0), 0, 1), Math.Clamp(forecast[i] + Math.Max(high, 0), 0, 1));
        }
        return new LotForecast(lot.Lot, originUtc, hours, Info);
    }

    /// <summary>The model's forecast and the two baselines' for each UTC hour from the origin (for backtests).</summary>
    internal (double[] Forecast, double[] SeasonalNaive, double[] MedianProfile) PointForecast(LotHistory lot, DateTime originUtc, int days)
    {
        var (forecast, naive, profiles, _) = Score(lot, originUtc, days);
        return (forecast, naive, profiles);
    }

    private (double[] Forecast, double[] SeasonalNaive, double[] MedianProfile, int[] Weeks) Score(LotHistory lot, DateTime originUtc, int days)
    {
        var hours = new LocalHours(lot.Known(originUtc));
        var origin = hours.IndexOf(originUtc);
        var levels = ForecastFeatures.Levels(hours, origin);
        var count = days * 24;
        var rows = new ForecastExample[count];
        var profiles = new double[count];
        var naive = new double[count];
        var weeks = new int[count];
        for (var i = 0; i < count; i++)
        {
            var target = hours.IndexOf(originUtc.AddHours(i));
            var features = new float[ForecastFeatures.Count];
            profiles[i] = ForecastFeatures.Fill(hours, origin, levels, target, features);
            naive[i] = features[ForecastFeatures.SeasonalNaive];
            weeks[i] = (target - origin) / LocalHours.Week;
            rows[i] = new ForecastExample { Features = features };
        }
        var scores = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        var forecast = new double[count];
        for (var i = 0; i < count; i++) forecast[i] = Math.Clamp(profiles[i] + scores[i], 0, 1);
        return (forecast, naive, profiles, weeks);
    }
}
