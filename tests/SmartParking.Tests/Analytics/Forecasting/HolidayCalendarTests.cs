using SmartParking.Server.Modules.Analytics.Forecasting;

namespace SmartParking.Tests.Analytics.Forecasting;

public sealed class HolidayCalendarTests
{
    private static readonly HolidayCalendar Denmark = HolidayCalendar.ForCountry("dk")!;

    [Theory]
    [InlineData("2014-01-01")] // New Year
    [InlineData("2014-04-17")] // Maundy Thursday (Easter Sunday was 20 April 2014)
    [InlineData("2014-04-18")] // Good Friday
    [InlineData("2014-04-21")] // Easter Monday
    [InlineData("2014-05-16")] // Great Prayer Day, Easter + 26 days
    [InlineData("2014-05-29")] // Ascension, Easter + 39 days
    [InlineData("2014-06-09")] // Whit Monday, Easter + 50 days
    [InlineData("2014-12-25")]
    [InlineData("2014-12-26")]
    [InlineData("2025-04-17")] // Maundy Thursday 2025 (Easter Sunday 20 April 2025)
    public void Denmark_EasterBasedAndFixedHolidays(string day) => Denmark.IsHoliday(DateOnly.Parse(day)).ShouldBeTrue();

    [Theory]
    [InlineData("2014-05-15")] // an ordinary Thursday
    [InlineData("2014-10-14")] // autumn school break: not a public holiday
    [InlineData("2024-04-26")] // Great Prayer Day was abolished from 2024
    public void Denmark_OrdinaryDays(string day) => Denmark.IsHoliday(DateOnly.Parse(day)).ShouldBeFalse();

    [Fact]
    public void UnknownCountry_HasNoCalendar_AndNoneHasNoHolidays()
    {
        HolidayCalendar.ForCountry("XX").ShouldBeNull();
        HolidayCalendar.None.IsHoliday(new DateOnly(2014, 12, 25)).ShouldBeFalse();
    }
}
