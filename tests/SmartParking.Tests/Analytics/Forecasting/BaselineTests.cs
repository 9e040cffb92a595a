using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Tests.Analytics.Forecasting;

public sealed class BaselineTests
{
    private static readonly DateTime Monday = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Four weeks whose every hour holds the week's level: 0.2, 0.4, 0.3, 0.5.</summary>
    private static LotHistory FourWeeks(Action<double[]>? change = null)
    {
        double[] levels = [0.2, 0.4, 0.3, 0.5];
        var share = Enumerable.Range(0, 4 * 168).Select(h => levels[h / 168]).ToArray();
        change?.Invoke(share);
        return new LotHistory("A", Monday, share, TimeZoneInfo.Utc, HolidayCalendar.None);
    }

    [Fact]
    public void SeasonalNaiveRepeatsTheLastWeek_MedianProfileTakesTheMedianOfFour()
    {
        var hours = new LocalHours(FourWeeks());
        const int origin = 4 * 168;

        foreach (var target in new[] { origin, origin + 5, origin + 168 + 5, origin + 3 * 168 + 100 })
        {
            Baselines.SeasonalNaive(hours, origin, target).ShouldBe(0.5);
            Baselines.MedianProfile(hours, origin, target).ShouldBe((0.3 + 0.4) / 2);
        }
    }

    [Fact]
    public void GapInTheLastWeek_FallsBackToTheWeekBefore_AndTheMedianTakesTheOthers()
    {
        var hours = new LocalHours(FourWeeks(share => share[3 * 168 + 10] = double.NaN));
        const int origin = 4 * 168;

        Baselines.SeasonalNaive(hours, origin, origin + 10).ShouldBe(0.3);
        Baselines.MedianProfile(hours, origin, origin + 10).ShouldBe(0.3);
        Baselines.SeasonalNaive(hours, origin, origin + 11).ShouldBe(0.5);
    }

    [Fact]
    public void SameHourAWeekEarlier_IsTheSameLocalHourAcrossADaylightSavingChange()
    {
        // Copenhagen leaves summer time on Sunday 27 October 2024: the week before 08:00 local on Monday 28 October
        // is 169 UTC hours long.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        var start = new DateTime(2024, 10, 14, 0, 0, 0, DateTimeKind.Utc);
        var share = new double[3 * 168];
        var mondayEightLocalWeekBefore = (int)(new DateTime(2024, 10, 21, 6, 0, 0, DateTimeKind.Utc) - start).TotalHours;
        share[mondayEightLocalWeekBefore] = 0.9;
        var hours = new LocalHours(new LotHistory("A", start, share, zone, HolidayCalendar.None));
        var origin = hours.IndexOf(new DateTime(2024, 10, 28, 0, 0, 0, DateTimeKind.Utc));

        var target = hours.IndexOf(new DateTime(2024, 10, 28, 7, 0, 0, DateTimeKind.Utc));

        hours.LocalAt(target).Hour.ShouldBe(8);
        Baselines.SeasonalNaive(hours, origin, target).ShouldBe(0.9);
    }
}
