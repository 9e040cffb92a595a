using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Lots.Zones;

namespace SmartParking.Tests.ZoneRules;

/// <summary>The one evaluator meter sessions and reservations share: windows in local time, overnight, across clock changes.</summary>
public sealed class PlaceRulesTests
{
    private const string Melbourne = "Australia/Melbourne";

    private static PlaceRules Rules(params string[] texts) => new(Melbourne, texts.Select(t => ZoneRuleNotation.Parse(t).Rule!).ToList());

    /// <summary>A wall-clock time in Melbourne as an instant.</summary>
    private static DateTimeOffset At(int month, int day, int hour, int minute = 0)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Melbourne);
        var local = new DateTime(2026, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    // Monday 2 March 2026.
    private static readonly DateTimeOffset MondayNine = At(3, 2, 9);

    [Fact]
    public void Check_TheIssuesExample_ThreeHoursInATwoHourZoneIsRefusedTwoAreNotAndOnlyTheHourInsideCounts()
    {
        var rules = Rules("2P Mon-Fri 07:30-18:30");

        var threeHours = rules.Check(MondayNine, MondayNine.AddHours(3), loadingVehicle: false);
        var twoHours = rules.Check(MondayNine, MondayNine.AddHours(2), loadingVehicle: false);
        var threeFromHalfPastFive = rules.Check(At(3, 2, 17, 30), At(3, 2, 20, 30), loadingVehicle: false);

        threeHours.ShouldNotBeNull();
        threeHours.Detail.ShouldStartWith("2P Mon–Fri 07:30–18:30 (Australia/Melbourne): at most 2 h between 07:30 and 18:30");
        threeHours.Detail.ShouldContain("3 h");
        twoHours.ShouldBeNull();
        threeFromHalfPastFive.ShouldBeNull();
    }

    [Fact]
    public void Check_OvernightWindow_CoversTheEarlyHoursOfTheNextDayOnly()
    {
        // Friday 6 March 22:00 to Saturday 06:00.
        var rules = Rules("No Parking Fri 22:00-06:00");

        rules.Check(At(3, 7, 5), At(3, 7, 7), false).ShouldNotBeNull().Detail.ShouldContain("from Sat 7 Mar 05:00");
        rules.Check(At(3, 6, 21), At(3, 6, 23), false).ShouldNotBeNull();
        rules.Check(At(3, 7, 6), At(3, 7, 8), false).ShouldBeNull();
        rules.Check(At(3, 6, 20), At(3, 6, 22), false).ShouldBeNull();
        // Thursday night is not a Friday window.
        rules.Check(At(3, 5, 23), At(3, 6, 1), false).ShouldBeNull();
    }

    [Fact]
    public void Check_WindowStartingOnTheDayClocksGoForward_StartsAtTheNewOffset()
    {
        // Sunday 4 October 2026: 02:00 becomes 03:00 (UTC+10 to UTC+11); the window opens at 08:00 UTC+11.
        var rules = Rules("2P Sun 08:00-18:00");

        // 2.5 h inside the window, though read at the old offset it would open an hour later and hold only 1.5 h.
        rules.Check(At(10, 4, 7), At(10, 4, 10, 30), false).ShouldNotBeNull();
        rules.Check(At(10, 4, 7), At(10, 4, 10), false).ShouldBeNull();
    }

    [Fact]
    public void Check_WindowEndingOnTheDayClocksGoBack_EndsAtTheNewOffset()
    {
        // Sunday 5 April 2026: 03:00 becomes 02:00 again (UTC+11 to UTC+10); 06:00 that morning is 20:00 UTC.
        var rules = Rules("No Parking Sun 00:00-06:00");
        var quarterPastFive = new DateTimeOffset(2026, 4, 4, 19, 15, 0, TimeSpan.Zero);

        rules.Check(quarterPastFive, quarterPastFive.AddHours(2), false).ShouldNotBeNull().Detail.ShouldContain("from Sun 5 Apr 05:15");
        rules.Check(quarterPastFive.AddMinutes(45), quarterPastFive.AddHours(2), false).ShouldBeNull();
    }

    [Fact]
    public void Check_AllWeekRule_IsOneWindowSoAStayAcrossMidnightCountsWhole()
    {
        var rules = Rules("2P Mon-Sun");

        rules.Check(At(3, 2, 23), At(3, 3, 1, 30), false).ShouldNotBeNull();
        rules.Check(At(3, 2, 23), At(3, 3, 1), false).ShouldBeNull();
    }

    [Fact]
    public void Check_LoadingWindow_AdmitsOnlyLoadingVehiclesForItsMaximumStay()
    {
        // Saturday 7 March.
        var rules = Rules("LZ 30M Sat 07:30-18:30");

        rules.Check(At(3, 7, 10), At(3, 7, 10, 15), loadingVehicle: false).ShouldNotBeNull().Detail.ShouldContain("loading vehicles only");
        rules.Check(At(3, 7, 10), At(3, 7, 10, 30), loadingVehicle: true).ShouldBeNull();
        rules.Check(At(3, 7, 10), At(3, 7, 10, 45), loadingVehicle: true).ShouldNotBeNull().Detail.ShouldContain("at most 30 min");
        rules.Check(At(3, 7, 19), At(3, 7, 21), loadingVehicle: false).ShouldBeNull();
    }

    [Fact]
    public void LongestStayMinutes_CountsOnlyTheTimeInsideWindows()
    {
        var rules = Rules("2P Mon-Fri 07:30-18:30");

        rules.LongestStayMinutes(MondayNine, 600, false).ShouldBe(120);
        rules.LongestStayMinutes(At(3, 2, 17), 600, false).ShouldBe(600);
        // 90 minutes of Monday's window, the night, then Tuesday's two hours from 07:30.
        rules.LongestStayMinutes(At(3, 2, 17), 2000, false).ShouldBe(990);
        Rules("No Parking Mon-Fri 07:00-09:00").LongestStayMinutes(At(3, 2, 8), 60, false).ShouldBe(0);
    }

    [Fact]
    public void ActiveDuring_NamesOnlyTheRulesWhoseWindowsTheStayMeets()
    {
        var rules = Rules("2P Mon-Fri 07:30-18:30", "LZ 30M Sat 07:30-18:30");

        rules.ActiveDuring(At(3, 7, 9), At(3, 7, 11)).Select(r => r.Text).ShouldBe(["LZ 30M Sat 07:30–18:30"]);
        rules.ActiveDuring(At(3, 7, 19), At(3, 7, 21)).ShouldBeEmpty();
    }
}
