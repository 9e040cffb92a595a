using System.Globalization;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>
/// <c>forecast-backtest --csv FILE [--timezone TZ] [--holdout-days N] [--country CC] [--learner fasttree|lightgbm]</c>:
/// reads occupancy history, runs <see cref="ForecastBacktest"/> and prints a line per lot and a last line starting
/// "overall". Needs no database. The time zone defaults to Europe/Copenhagen for the CityPulse (Aarhus) shape and to UTC
/// for the import shape; the holiday country to DK for the CityPulse shape and to none otherwise.
/// </summary>
public static class ForecastBacktestCommand
{
    public const string Name = "forecast-backtest";

    private const string Usage = "usage: forecast-backtest --csv FILE [--timezone TZ] [--holdout-days N] [--country CC] [--learner fasttree|lightgbm]";

    /// <summary>Runs the command; returns the process exit code (0 done, 1 bad arguments or input).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            var options = Parse(args);
            OccupancyCsvData data;
            using (var reader = File.OpenText(options.Csv)) data = OccupancyCsv.Read(reader, options.TimeZone);
            var zone = data.TimeZone;
            var country = options.Country ?? (data.Shape == "citypulse" ? "DK" : null);
            var holidays = country is null ? HolidayCalendar.None : HolidayCalendar.ForCountry(country)
                ?? throw new UsageException($"--country {country}: no holiday calendar; known: {string.Join(' ', HolidayCalendar.SupportedCountries.Order())}");

            output.WriteLine($"data shape={data.Shape} timezone={zone.Id} holidays={holidays.Country} lots={data.Lots.Count} holdout_days={options.HoldoutDays}");
            foreach (var c in data.Cleaning)
                output.WriteLine($"clean lot={c.Lot} rows={c.Rows} kept={c.Kept} clipped={c.Clipped} dropped_negative={c.DroppedNegative} " +
                                 $"dropped_duplicate={c.DroppedDuplicate} dropped_no_capacity={c.DroppedNoCapacity} hours={c.HoursWithData} gap_hours={c.GapHours}");

            var lots = data.Lots.Select(l => new LotHistory(l.Lot, l.StartUtc, l.Share, zone, holidays)).ToList();
            var report = ForecastBacktest.Run(lots, options.HoldoutDays, new ForecastSettings(Learner: options.Learner));
            var m = report.Model;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model version={m.Version} learner={m.Learner} lots={m.Lots} examples={m.Examples} trained_to={m.TrainedToUtc:yyyy-MM-dd'T'HH:mm'Z'} " +
                $"validation_mae={m.ValidationMae:0.0000} validation_naive_mae={m.ValidationSeasonalNaiveMae:0.0000} " +
                $"training_seconds={report.TrainingTime.TotalSeconds:0.0} total_seconds={report.TotalTime.TotalSeconds:0.0}"));
            foreach (var s in report.Skipped) output.WriteLine($"skipped lot={s.Lot} reason=\"{s.Reason}\"");
            foreach (var s in report.Stuck) output.WriteLine($"stuck lot={s.Lot} before_cut_hours={s.BeforeCut} holdout_hours={s.Holdout}");
            output.WriteLine($"stuck overall before_cut_hours={report.Stuck.Sum(s => s.BeforeCut)} holdout_hours={report.Stuck.Sum(s => s.Holdout)}");
            foreach (var s in report.Lots) output.WriteLine(Line("lot=" + s.Lot, s));
            output.WriteLine(Line("overall", report.Overall));
            return 0;
        }
        catch (Exception e) when (e is UsageException or OccupancyCsvException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine($"forecast-backtest: {e.Message}");
            if (e is UsageException) error.WriteLine(Usage);
            return 1;
        }
    }

    private static string Line(string head, BacktestScore s) => string.Create(CultureInfo.InvariantCulture,
        $"{head} hours={s.Hours} model_mae={s.Model.Mae:0.0000} model_rmse={s.Model.Rmse:0.0000} " +
        $"naive_mae={s.SeasonalNaive.Mae:0.0000} naive_rmse={s.SeasonalNaive.Rmse:0.0000} " +
        $"median4w_mae={s.MedianProfile.Mae:0.0000} median4w_rmse={s.MedianProfile.Rmse:0.0000} " +
        $"model_to_naive_mae={(s.ModelToSeasonalNaive is { } r ? r.ToString("0.000", CultureInfo.InvariantCulture) : "n/a")} band_p10_p90_coverage={s.BandCoverage:0.00} stuck_hours={s.StuckHours}");

    private sealed record Options(string Csv, TimeZoneInfo? TimeZone, int HoldoutDays, string? Country, ForecastLearner Learner);

    private sealed class UsageException(string message) : Exception(message);

    private static Options Parse(IReadOnlyList<string> args)
    {
        string? csv = null, country = null;
        TimeZoneInfo? zone = null;
        var holdout = 28;
        var learner = ForecastLearner.FastTree;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value");
            switch (name)
            {
                case "--csv": csv = Value(); break;
                case "--timezone":
                    var id = Value();
                    zone = TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) ? found : throw new UsageException($"--timezone '{id}' is not a known time zone");
                    break;
                case "--holdout-days":
                    var days = Value();
                    if (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out holdout) || holdout is < 1 or > 30)
                        throw new UsageException($"--holdout-days '{days}' must be a whole number from 1 to 30");
                    break;
                case "--country": country = Value(); break;
                case "--learner":
                    var l = Value();
                    learner = l.ToLowerInvariant() switch
                    {
                        "fasttree" => ForecastLearner.FastTree,
                        "lightgbm" => ForecastLearner.LightGbm,
                        _ => throw new UsageException($"--learner '{l}' must be fasttree or lightgbm"),
                    };
                    break;
                default: throw new UsageException($"unknown argument '{name}'");
            }
        }
        if (csv is null) throw new UsageException("--csv FILE is required");
        csv = ShellPaths.Resolve(csv);
        if (!File.Exists(csv)) throw new UsageException($"--csv '{csv}' does not exist (looked for {Path.GetFullPath(csv)})");
        return new Options(csv, zone, holdout, country, learner);
    }
}
