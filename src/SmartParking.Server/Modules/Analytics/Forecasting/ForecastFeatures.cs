namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>
/// The features of one target hour, computed only from what was known at the forecast origin, so training examples
/// from many past origins look exactly like a forecast made today (direct multi-horizon forecasting). The model
/// predicts the target's difference from the 4-week median profile; the recent-level features let it follow a trend
/// the multi-week profile lags behind. Per target: local hour, weekday, holiday, horizon in days, the 4-week median
/// profile, seasonal-naive (last week) and its difference from the profile, whether last week's day was a holiday;
/// whether the target and last week's day fell in a school break (so the breaks in the training window, and the weeks
/// after them whose profile they still colour, do not skew what the model learns for ordinary weeks);
/// per origin: the last week's mean, its change against the 4 weeks before, the last day against the same day a week
/// earlier; and, as differences from the profile, the 8-week median, the 4-week mean of the same weekday and hour, and
/// the mean of the same hour over the working days (or weekend days) of the last 4 weeks; and what kind of lot it is
/// (see <see cref="LotKind"/>).
/// </summary>
internal static class ForecastFeatures
{
    public const int Count = 18;

    /// <summary>Where <see cref="Fill"/> writes the seasonal-naive value (the backtest reads it back as that baseline).</summary>
    public const int SeasonalNaive = 5;

    /// <summary>What the features read once per origin: the recent level and how it moved.</summary>
    public readonly record struct OriginLevels(double LastWeek, double Trend, double LastDayShift, double Fallback, LotKind Kind);

    /// <summary>
    /// What kind of lot the last 4 weeks show: how much fuller it is at weekend midday than at working-day midday (a
    /// shopping centre's is high, an office garage's low) and how much fuller at 08–09 than at 14–16 on working days (a
    /// commuter lot fills early). Calendar effects differ by kind: in a school break an office garage empties while a
    /// shopping centre fills. Both are rounded to steps of <see cref="KindStep"/>, so that a city of a few lots does not
    /// give each lot a value of its own: the model learns kinds of lots, not the lots it was trained on.
    /// </summary>
    public readonly record struct LotKind(double WeekendLift, double MorningPeak);

    private const double KindStep = 0.2;

    public static OriginLevels Levels(LocalHours hours, int origin)
    {
        var lastWeek = hours.Mean(origin - LocalHours.Week, origin);
        var fourWeeksBefore = hours.Mean(origin - 5 * LocalHours.Week, origin - LocalHours.Week);
        var lastDay = hours.Mean(origin - 24, origin);
        var sameDayWeekBefore = hours.Mean(origin - 24 - LocalHours.Week, origin - LocalHours.Week);
        var fallback = hours.Mean(origin - 4 * LocalHours.Week, origin);
        if (double.IsNaN(fallback)) fallback = hours.Mean(0, origin);
        return new OriginLevels(
            double.IsNaN(lastWeek) ? fallback : lastWeek,
            double.IsNaN(lastWeek) || double.IsNaN(fourWeeksBefore) ? 0 : lastWeek - fourWeeksBefore,
            double.IsNaN(lastDay) || double.IsNaN(sameDayWeekBefore) ? 0 : lastDay - sameDayWeekBefore,
            fallback, KindOf(hours, origin));
    }

    private static LotKind KindOf(LocalHours hours, int origin)
    {
        var (weekendMidday, workdayMidday, workdayMorning, workdayAfternoon) = (new Mean(), new Mean(), new Mean(), new Mean());
        var (day, holiday) = (DateTime.MinValue, false);
        for (var i = Math.Max(0, origin - 4 * LocalHours.Week); i < origin; i++)
        {
            var v = hours.At(i);
            if (double.IsNaN(v)) continue;
            var local = hours.LocalAt(i);
            // Once a day: training asks this for every origin of every lot.
            if (local.Date != day) (day, holiday) = (local.Date, hours.IsHoliday(i));
            if (holiday) continue;
            var midday = local.Hour is >= 10 and <= 16;
            if (IsWeekend(local))
            {
                if (midday) weekendMidday.Add(v);
                continue;
            }
            if (midday) workdayMidday.Add(v);
            if (local.Hour is 8 or 9) workdayMorning.Add(v);
            else if (local.Hour is >= 14 and <= 16) workdayAfternoon.Add(v);
        }
        return new LotKind(Step(weekendMidday.Value - workdayMidday.Value), Step(workdayMorning.Value - workdayAfternoon.Value));
    }

    /// <summary>Rounded to the nearest <see cref="KindStep"/>; 0 (no sign of either kind) when a side had no hours.</summary>
    private static double Step(double difference) => double.IsNaN(difference) ? 0 : Math.Round(difference / KindStep) * KindStep;

    private sealed class Mean
    {
        private double sum;
        private int count;

        public double Value => count == 0 ? double.NaN : sum / count;

        public void Add(double value)
        {
            sum += value;
            count++;
        }
    }

    /// <summary>The mean of the same local hour on the days of the same kind (working day or weekend) in the 4 weeks before the origin.</summary>
    private static double SameHourMean(LocalHours hours, int origin, int target)
    {
        var weekend = IsWeekend(hours.LocalAt(target));
        double sum = 0;
        var n = 0;
        var first = target - ((target - origin) / 24 + 1) * 24;
        for (var i = first; i >= origin - 4 * LocalHours.Week; i -= 24)
        {
            var v = hours.At(i);
            if (double.IsNaN(v) || IsWeekend(hours.LocalAt(i)) != weekend) continue;
            sum += v;
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    private static double WeekdayHourMean(LocalHours hours, int origin, int target)
    {
        var first = Baselines.WeeksBack(origin, target);
        double sum = 0;
        var n = 0;
        for (var k = first; k < first + 4; k++)
        {
            var v = hours.At(target - k * LocalHours.Week);
            if (double.IsNaN(v)) continue;
            sum += v;
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    private static bool IsWeekend(DateTime local) => local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    /// <summary>Writes the features of the target hour and returns the profile value the model's output is added to.</summary>
    public static double Fill(LocalHours hours, int origin, OriginLevels levels, int target, Span<float> features)
    {
        var profile = Baselines.MedianProfile(hours, origin, target);
        if (double.IsNaN(profile)) profile = levels.Fallback;
        var lastWeek = Baselines.SeasonalNaive(hours, origin, target);
        if (double.IsNaN(lastWeek)) lastWeek = profile;
        var local = hours.LocalAt(target);
        var source = target - Baselines.WeeksBack(origin, target) * LocalHours.Week;

        features[0] = local.Hour;
        features[1] = (int)local.DayOfWeek;
        features[2] = hours.IsHoliday(target) ? 1 : 0;
        features[3] = (target - origin) / 24f;
        features[4] = (float)profile;
        features[SeasonalNaive] = (float)lastWeek;
        features[6] = (float)(lastWeek - profile);
        features[7] = hours.IsHoliday(source) ? 1 : 0;
        features[8] = (float)levels.LastWeek;
        features[9] = (float)levels.Trend;
        features[10] = (float)levels.LastDayShift;
        var longProfile = Baselines.MedianProfile(hours, origin, target, 8);
        features[11] = (float)((double.IsNaN(longProfile) ? profile : longProfile) - profile);
        var sameHour = SameHourMean(hours, origin, target);
        features[12] = (float)((double.IsNaN(sameHour) ? profile : sameHour) - profile);
        var weekMean = WeekdayHourMean(hours, origin, target);
        features[13] = (float)((double.IsNaN(weekMean) ? profile : weekMean) - profile);
        features[14] = hours.IsSchoolHoliday(target) ? 1 : 0;
        features[15] = hours.IsSchoolHoliday(source) ? 1 : 0;
        features[16] = (float)levels.Kind.WeekendLift;
        features[17] = (float)levels.Kind.MorningPeak;
        return profile;
    }
}
