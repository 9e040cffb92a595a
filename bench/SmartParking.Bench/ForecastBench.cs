using System.Diagnostics;
using System.Globalization;
using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Bench;

/// <summary>
/// The forecast's two figures, in process (no server or database): the honest backtest on the Aarhus series, and the
/// time and memory to train one model for a city of many lots (synthetic hourly histories: a daily and weekly shape per
/// lot, a trend over weeks, noise, gaps) and to forecast 30 days for every lot.
/// </summary>
internal static class ForecastBench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public sealed record Settings(string? Data, int Lots, int Days, int HoldoutDays);

    public static bool RunInto(Settings s, Report report, TextWriter output)
    {
        var path = s.Data ?? AarhusShapes.DefaultPath();
        if (File.Exists(path))
        {
            using var reader = File.OpenText(path);
            var data = OccupancyCsv.Read(reader, null);
            var holidays = HolidayCalendar.ForCountry("DK")!;
            var lots = data.Lots.Select(l => new LotHistory(l.Lot, l.StartUtc, l.Share, data.TimeZone, holidays)).ToList();
            var backtest = ForecastBacktest.Run(lots, s.HoldoutDays, new ForecastSettings());
            foreach (var lot in backtest.Lots)
                output.WriteLine(string.Create(Inv, $"backtest lot={lot.Lot} model_mae={lot.Model.Mae:0.0000} naive_mae={lot.SeasonalNaive.Mae:0.0000} median4w_mae={lot.MedianProfile.Mae:0.0000} band={lot.BandCoverage:0.00}"));
            var o = backtest.Overall;
            output.WriteLine(string.Create(Inv, $"backtest overall model_mae={o.Model.Mae:0.0000} naive_mae={o.SeasonalNaive.Mae:0.0000} median4w_mae={o.MedianProfile.Mae:0.0000} model_to_naive={o.ModelToSeasonalNaive:0.000} band={o.BandCoverage:0.00}"));
            report.Add("forecast", $"Aarhus {s.HoldoutDays}-day holdout: model MAE as a share of seasonal-naive's", (o.ModelToSeasonalNaive ?? double.NaN) * 100, "%", 75, Better.Lower);
            report.Add("forecast", "Aarhus: 4-week median MAE as a share of seasonal-naive's", o.MedianProfile.Mae / o.SeasonalNaive.Mae * 100, "%");
            report.Add("forecast", "Aarhus: hours inside the 10–90 % band", o.BandCoverage * 100, "%", 80, note: "an honest band holds about 80 %");
        }
        else report.Note($"Forecast backtest skipped: no data at {path}.");

        var city = Enumerable.Range(0, s.Lots).Select(i => SyntheticLot(i, s.Days)).ToList();
        var cut = city[0].EndUtc;
        GC.Collect();
        var before = Process.GetCurrentProcess().WorkingSet64;
        var clock = Stopwatch.StartNew();
        var training = OccupancyForecaster.Train(city, cut, new ForecastSettings());
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        clock.Restart();
        foreach (var lot in city) training.Model.Forecast(lot, cut, 30);
        var forecastSeconds = clock.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(Inv,
            $"training lots={s.Lots} days={s.Days} examples={training.Model.Info.Examples} seconds={trainSeconds:0.0} forecast_30d_all_lots_seconds={forecastSeconds:0.0} peak_working_set_mb={peak / 1e6:0} (before {before / 1e6:0})"));
        report.Add("forecast", $"training, {s.Lots:N0} lots × {s.Days} days of hourly history", trainSeconds, "s", note: $"{training.Model.Info.Examples:N0} sampled examples");
        report.Add("forecast", $"30-day forecast for all {s.Lots:N0} lots", s.Lots / forecastSeconds, "lots/s");
        report.Add("forecast", "peak working set while training", peak / 1e6, "MB");
        return true;
    }

    /// <summary>A lot with its own level, shape and trend; Europe/Copenhagen clock; a 1 % chance per day of a gap.</summary>
    private static LotHistory SyntheticLot(int index, int days)
    {
        var random = new Random(index);
        var start = new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        var level = 0.2 + 0.5 * random.NextDouble();
        var amplitude = 0.1 + 0.3 * random.NextDouble();
        var peakHour = 8 + random.Next(10);
        var weekend = 0.5 + random.NextDouble();
        var trend = (random.NextDouble() - 0.5) * 0.02;
        var share = new double[days * 24];
        for (var h = 0; h < share.Length; h++)
        {
            if (h % 24 == 0 && random.NextDouble() < 0.01) { Array.Fill(share, double.NaN, h, Math.Min(24, share.Length - h)); h += 23; continue; }
            var local = TimeZoneInfo.ConvertTimeFromUtc(start.AddHours(h), zone);
            var daily = Math.Exp(-Math.Pow((local.Hour - peakHour) / 3.0, 2));
            var day = local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? weekend : 1;
            share[h] = Math.Clamp(level * day + amplitude * daily * day + trend * h / 168.0 + (random.NextDouble() - 0.5) * 0.08, 0, 1);
        }
        return new LotHistory($"lot-{index}", start, share, zone, HolidayCalendar.ForCountry("DK")!);
    }
}
