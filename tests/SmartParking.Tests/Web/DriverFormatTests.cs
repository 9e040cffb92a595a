using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Web;

namespace SmartParking.Tests.Web;

public sealed class DriverFormatTests
{
    [Theory]
    [InlineData(0, "0 m")]
    [InlineData(234.4, "230 m")]
    [InlineData(994, "990 m")]
    [InlineData(995, "1.0 km")]
    [InlineData(1260, "1.3 km")]
    [InlineData(12_345, "12.3 km")]
    public void Distance_Meters_MetresUnderAKilometreElseKilometres(double meters, string expected) =>
        DriverFormat.Distance(meters).ShouldBe(expected);

    [Fact]
    public void Money_AmountAndCurrency_TwoDecimalsWithCode()
    {
        DriverFormat.Money(25m, "DKK").ShouldBe("25.00 DKK");
        DriverFormat.PerHour(29.5m, "EUR").ShouldBe("29.50 EUR/h");
    }

    [Theory]
    [InlineData(0.5, "30 min")]
    [InlineData(2, "2 h")]
    [InlineData(2.5, "2 h 30 min")]
    public void Duration_Span_ReadableText(double hours, string expected) => DriverFormat.Duration(TimeSpan.FromHours(hours)).ShouldBe(expected);

    [Fact]
    public void OpeningHours_None_OpenAroundTheClock() => DriverFormat.OpeningHours([]).ShouldBe("Open 24 hours");

    [Fact]
    public void OpeningHours_EveryDayAllDay_OpenAroundTheClock() =>
        DriverFormat.OpeningHours(LotsVocabulary.Days.Select(d => new OpeningHours(d, "00:00", "24:00")).ToList()).ShouldBe("Open 24 hours");

    [Fact]
    public void OpeningHours_SameHoursOnConsecutiveDays_GroupedWithTheDifferentDayApart() =>
        DriverFormat.OpeningHours(LotsVocabulary.Days.Select(d => new OpeningHours(d, "06:00", d == "sun" ? "20:00" : "24:00")).ToList())
            .ShouldBe("Mon–Sat 06:00–24:00; Sun 06:00–20:00");

    [Fact]
    public void OpeningHours_DaysWithoutHours_ShownClosed() =>
        DriverFormat.OpeningHours([new("mon", "07:00", "22:00"), new("tue", "07:00", "22:00")])
            .ShouldBe("Mon–Tue 07:00–22:00; Wed–Sun closed");

    [Fact]
    public void OpeningHours_SameHoursAllWeek_Daily() =>
        DriverFormat.OpeningHours(LotsVocabulary.Days.Select(d => new OpeningHours(d, "08:00", "18:00")).ToList()).ShouldBe("Daily 08:00–18:00");

    [Fact]
    public void OpeningHours_TwoIntervalsInADay_BothInOrder() =>
        DriverFormat.OpeningHours(LotsVocabulary.Days.SelectMany(d => new[] { new OpeningHours(d, "13:00", "18:00"), new OpeningHours(d, "08:00", "12:00") }).ToList())
            .ShouldBe("Daily 08:00–12:00, 13:00–18:00");

    [Theory]
    [InlineData(0, 0, "no data")]
    [InlineData(0, 10, "full")]
    [InlineData(1, 10, "almost full")]
    [InlineData(5, 10, "spaces free")]
    public void Occupancy_FreeOfReporting_Text(int free, int reporting, string expected) => DriverFormat.Occupancy(free, reporting).ShouldBe(expected);
}
