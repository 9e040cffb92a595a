using SmartParking.Server.Modules.Chat.Dialogue;

namespace SmartParking.Tests.Chat;

/// <summary>
/// "Extend my booking until 15:00": a clock time is read from today, and a booking may be days ahead, so the end asked
/// for is read against the booking's own last day at the lot.
/// </summary>
public sealed class BookingExtensionEndTests
{
    private static readonly TimeZoneInfo Copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");

    private static DateTimeOffset Local(int year, int month, int day, int hour, int minute = 0) =>
        new(new DateTime(year, month, day, hour, minute, 0), Copenhagen.GetUtcOffset(new DateTime(year, month, day, hour, minute, 0)));

    [Fact]
    public void ClockTimeAfterTheEnd_IsTheEndAsked()
    {
        var end = Local(2026, 12, 8, 11);
        Assert.Equal(Local(2026, 12, 8, 15), DriverFlows.ExtendedUntil(Local(2026, 12, 8, 15), end, Copenhagen));
    }

    [Fact]
    public void ClockTimeReadFromToday_ForABookingTomorrow_IsThatTimeOnTheBookingsDay()
    {
        // Said on 7 December: "until 15:00" came as today 15:00; the booking is 8 December 10:00–11:00.
        var end = Local(2026, 12, 8, 11);
        Assert.Equal(Local(2026, 12, 8, 15), DriverFlows.ExtendedUntil(Local(2026, 12, 7, 15), end, Copenhagen));
    }

    [Fact]
    public void ClockTimeBeforeTheEndOnItsDay_IsThatTimeTheDayAfter()
    {
        // The booking ends 8 December 16:30; 15:00 that day would shorten it.
        var end = Local(2026, 12, 8, 16, 30);
        Assert.Equal(Local(2026, 12, 9, 15), DriverFlows.ExtendedUntil(Local(2026, 12, 7, 15), end, Copenhagen));
    }

    [Fact]
    public void BookingDayAcrossTheChangeToSummerTime_KeepsTheClockTimeAtTheLot()
    {
        // Said in winter time (UTC+1) for a booking on 30 March, in summer time (UTC+2): still 15:00 at the lot.
        var end = Local(2027, 3, 30, 11);
        var until = DriverFlows.ExtendedUntil(Local(2027, 3, 20, 15), end, Copenhagen);
        Assert.Equal(Local(2027, 3, 30, 15), until);
        Assert.Equal(TimeSpan.FromHours(13), until.UtcDateTime.TimeOfDay);
    }
}
