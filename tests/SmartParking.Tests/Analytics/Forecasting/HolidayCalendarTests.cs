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

    [Theory]
    [InlineData("2014-02-10")] // winter break, ISO week 7 (Monday)
    [InlineData("2014-02-16")] // … to its Sunday
    [InlineData("2014-06-28")] // summer break from the last Saturday of June
    [InlineData("2014-08-10")] // … to the Sunday of ISO week 32 (school started Monday 11 August 2014)
    [InlineData("2014-10-13")] // autumn break, ISO week 42
    [InlineData("2014-10-19")]
    [InlineData("2014-12-21")] // Christmas break, 21 December to 2 January
    [InlineData("2015-01-02")]
    [InlineData("2025-06-28")] // the last Saturday of June 2025
    [InlineData("2025-10-13")] // ISO week 42 of 2025
    public void Denmark_SchoolBreaks(string day) => Denmark.IsSchoolHoliday(DateOnly.Parse(day)).ShouldBeTrue();

    [Theory]
    [InlineData("2014-02-17")] // the Monday after the winter break
    [InlineData("2014-06-27")] // the Friday before the summer break
    [InlineData("2014-08-11")] // first school day after it
    [InlineData("2014-10-10")] // the Friday before the autumn break
    [InlineData("2014-10-20")]
    [InlineData("2015-01-05")]
    public void Denmark_SchoolDays(string day) => Denmark.IsSchoolHoliday(DateOnly.Parse(day)).ShouldBeFalse();

    [Fact]
    public void UnknownCountry_HasNoCalendar_AndNoneHasNoHolidays()
    {
        HolidayCalendar.ForCountry("XX").ShouldBeNull();
        HolidayCalendar.None.IsHoliday(new DateOnly(2014, 12, 25)).ShouldBeFalse();
        HolidayCalendar.None.IsSchoolHoliday(new DateOnly(2014, 10, 14)).ShouldBeFalse();
    }

    [Fact]
    public void ACountryWithoutSchoolBreakRules_HasNone()
    {
        HolidayCalendar.ForCountry("DE")!.IsSchoolHoliday(new DateOnly(2014, 7, 30)).ShouldBeFalse();
    }
}
