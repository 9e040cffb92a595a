namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>
/// The two baselines a forecast must beat, on the lot's local wall clock from an origin: seasonal-naive (the last full
/// week before the origin, repeated) and the 4-week median profile (per weekday and hour, the median of the four weeks
/// before the origin). A gap in the week read falls back to the same hour a week earlier (up to four weeks back).
/// </summary>
internal static class Baselines
{
    private const int WeeksInProfile = 4;

    /// <summary>How many weeks back from the target the last full week before the origin lies.</summary>
    public static int WeeksBack(int origin, int target) => (target - origin) / LocalHours.Week + 1;

    public static double SeasonalNaive(LocalHours hours, int origin, int target)
    {
        var first = WeeksBack(origin, target);
        for (var k = first; k < first + WeeksInProfile; k++)
        {
            var value = hours.At(target - k * LocalHours.Week);
            if (!double.IsNaN(value)) return value;
        }
        return double.NaN;
    }

    public static double MedianProfile(LocalHours hours, int origin, int target, int weeks = WeeksInProfile)
    {
        var first = WeeksBack(origin, target);
        Span<double> found = stackalloc double[weeks];
        var n = 0;
        for (var k = first; k < first + weeks; k++)
        {
            var value = hours.At(target - k * LocalHours.Week);
            if (!double.IsNaN(value)) found[n++] = value;
        }
        if (n == 0) return double.NaN;
        var values = found[..n];
        values.Sort();
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
