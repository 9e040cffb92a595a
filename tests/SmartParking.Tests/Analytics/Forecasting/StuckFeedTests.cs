using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Tests.Analytics.Forecasting;

public sealed class StuckFeedTests
{
    private const int Days = 28;

    /// <summary>
    /// Four weeks of a lot that moves every daytime hour (08:00–20:00, noisy so no two hours are equal), holds the
    /// same few cars all night from 20:00 to 08:00 (a different number each night) and is closed, empty, on Sundays.
    /// </summary>
    private static LotHistory QuietNightsAndSundays()
    {
        var random = new Random(11);
        var share = new double[Days * 24];
        var night = 0.0;
        for (var h = 0; h < share.Length; h++)
        {
            var at = Synthetic.Start.AddHours(h);
            if (at.Hour == 20) night = 0.05 + 0.1 * random.NextDouble();
            share[h] = at.DayOfWeek == DayOfWeek.Sunday ? 0 : at.Hour is < 8 or >= 20 ? night : 0.3 + 0.4 * random.NextDouble();
        }
        return new LotHistory("quiet", Synthetic.Start, share, TimeZoneInfo.Utc, HolidayCalendar.None);
    }

    private static int[] StuckIndexes(LotHistory lot) =>
        StuckFeed.Hours(lot).Select((stuck, i) => (stuck, i)).Where(x => x.stuck).Select(x => x.i).ToArray();

    [Fact]
    public void QuietNightsAndAClosedSunday_AreNotStuck()
    {
        // 12 hours of one value every night and Sunday 00:00 to Monday 08:00 at exactly 0: the lot's own rhythm.
        StuckIndexes(QuietNightsAndSundays()).ShouldBeEmpty();
    }

    [Fact]
    public void ARepeatedValueAcrossDaytimeHours_IsStuck_FromItsFirstToItsLastHour()
    {
        var lot = QuietNightsAndSundays();
        var from = 15 * 24 + 10; // Tuesday of the third week, 10:00
        Array.Fill(lot.Share, 0.42, from, 30);

        StuckIndexes(lot).ShouldBe(Enumerable.Range(from, 30));
    }

    [Fact]
    public void AGapInsideTheRun_DoesNotEndIt()
    {
        var lot = QuietNightsAndSundays();
        var from = 15 * 24 + 10;
        Array.Fill(lot.Share, 0.42, from, 30);
        Array.Fill(lot.Share, double.NaN, from + 5, 3);

        StuckIndexes(lot).ShouldBe(Enumerable.Range(from, 30));
    }

    [Fact]
    public void ARepeatedValueShorterThanHalfADay_IsKept()
    {
        var lot = QuietNightsAndSundays();
        Array.Fill(lot.Share, 0.42, 15 * 24 + 8, StuckFeed.CandidateHours - 1);

        StuckIndexes(lot).ShouldBeEmpty();
    }

    [Fact]
    public void AFullDay_IsKept_ButAFullWeekIsStuck()
    {
        var lot = QuietNightsAndSundays();
        Array.Fill(lot.Share, 1.0, 8 * 24 + 8, 40);
        StuckIndexes(lot).ShouldBeEmpty();

        Array.Fill(lot.Share, 1.0, 15 * 24, StuckFeed.AlwaysStuckHours);
        StuckIndexes(lot).ShouldBe(Enumerable.Range(15 * 24, StuckFeed.AlwaysStuckHours));
    }

    [Fact]
    public void Known_TurnsStuckHoursIntoGaps_AndTheyDoNotCountAsHistory()
    {
        var lot = QuietNightsAndSundays();
        var from = 15 * 24 + 10;
        Array.Fill(lot.Share, 0.42, from, 30);
        var cut = Synthetic.Start.AddDays(Days);

        var known = lot.Known(cut);

        known.Share.Skip(from).Take(30).ShouldAllBe(v => double.IsNaN(v));
        known.Share.Take(from).ShouldBe(lot.Share.Take(from));
        lot.HoursObservedBefore(cut).ShouldBe(Days * 24 - 30);
    }

    [Fact]
    public void Known_DecidesFromTheHistoryBeforeTheCutOnly()
    {
        var lot = QuietNightsAndSundays();
        var from = 15 * 24 + 10;
        Array.Fill(lot.Share, 0.42, from, 30);

        // Five hours into the run nothing says yet that the feed is stuck.
        lot.Known(Synthetic.Start.AddHours(from + 5)).Share.Skip(from).ShouldAllBe(v => v == 0.42);
    }
}
