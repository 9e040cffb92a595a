using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Web;

namespace SmartParking.Tests.Web;

public sealed class ForecastHintsTests
{
    private static readonly TimeZoneInfo Copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
    // 06:30 in Copenhagen (winter time, UTC+1).
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 5, 30, 0, TimeSpan.Zero);

    private static IReadOnlyList<ForecastPoint> Hours(params double[] occupancy)
    {
        var (from, _) = ForecastHints.Window(Now, Copenhagen);
        return occupancy.Select((o, i) => new ForecastPoint(from.AddHours(i), o, o, o)).ToList();
    }

    [Theory]
    [InlineData("en", "Usually full by 09:00")]
    [InlineData("da", "Plejer at være fuld kl. 09:00")]
    public void FirstHourAtOrAbove95Percent_Today(string language, string expected) =>
        ForecastHints.Text(Hours(0.5, 0.94, 0.95, 1.0), Now, Copenhagen, language).ShouldBe(expected);

    [Theory]
    [InlineData("en", "Usually full by 08:00 tomorrow")]
    [InlineData("da", "Plejer at være fuld i morgen kl. 08:00")]
    public void FullOnlyTomorrow_SaysTomorrow(string language, string expected)
    {
        // From 07:00 today: 25 hours on is 08:00 tomorrow.
        var occupancy = Enumerable.Repeat(0.3, 25).Append(0.97).ToArray();
        ForecastHints.Text(Hours(occupancy), Now, Copenhagen, language).ShouldBe(expected);
    }

    [Theory]
    [InlineData("en", "Usually has space")]
    [InlineData("da", "Plejer at have ledige pladser")]
    public void NeverFull_UsuallyHasSpace(string language, string expected) =>
        ForecastHints.Text(Hours(0.2, 0.9, 0.94), Now, Copenhagen, language).ShouldBe(expected);

    [Fact]
    public void NoForecast_NoHint() => ForecastHints.Text([], Now, Copenhagen, "en").ShouldBeNull();

    [Fact]
    public void Window_FromTheNextHourToTheEndOfTomorrowLocally()
    {
        var (from, to) = ForecastHints.Window(Now, Copenhagen);
        from.ShouldBe(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
        to.ShouldBe(new DateTimeOffset(2026, 12, 9, 0, 0, 0, TimeSpan.FromHours(1)));
    }
}
