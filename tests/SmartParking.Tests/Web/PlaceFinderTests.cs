using SmartParking.Server.Modules.Demo;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Web;

namespace SmartParking.Tests.Web;

public sealed class PlaceFinderTests
{
    [Theory]
    [InlineData("Aarhus Cathedral", "Aarhus Cathedral")]
    [InlineData("aarhus domkirke", "Aarhus Cathedral")]
    [InlineData("The Latin-Quarter", "Latin Quarter")]
    [InlineData("latinerkvarteret", "Latin Quarter")]
    [InlineData("ARoS", "ARoS Aarhus Art Museum")]
    [InlineData("dokk1", "Dokk1")]
    [InlineData("Aarhus H", "Aarhus Central Station")]
    [InlineData("central station", "Aarhus Central Station")]
    [InlineData("Rådhuset", "Aarhus City Hall")]
    [InlineData("musikhus", "Musikhuset Aarhus")]
    public void FindLandmark_NameOrAliasAnyCaseOrAccent_FindsThePlace(string text, string expected) =>
        PlaceFinder.FindLandmark(text, DemoCity.Places)?.Name.ShouldBe(expected);

    [Theory]
    [InlineData("Nørreport")]
    [InlineData("xy")]
    [InlineData("Copenhagen Airport")]
    public void FindLandmark_NotALandmark_Null(string text) => PlaceFinder.FindLandmark(text, DemoCity.Places).ShouldBeNull();

    [Fact]
    public void DemoPlaces_Coordinates_AllInAarhus() =>
        DemoCity.Places.ShouldAllBe(l => l.Latitude > 56.05 && l.Latitude < 56.25 && l.Longitude > 10.1 && l.Longitude < 10.3);

    /// <summary>The demo city as the driver app sees it once its guide is seeded.</summary>
    internal static City Aarhus => new(Guid.NewGuid(), DemoCity.TenantSlug, DemoCity.TenantName, DemoCity.TimeZone, DemoCity.Currency, DemoCity.CountryCodes, DemoCity.Places);

    [Theory]
    [InlineData("56.1567,10.2108", 56.1567, 10.2108)]
    [InlineData(" 56.1567 , 10.2108 ", 56.1567, 10.2108)]
    [InlineData("-33.9,18.4", -33.9, 18.4)]
    public void TryParseCoordinates_LatCommaLng_Parsed(string text, double lat, double lng)
    {
        PlaceFinder.TryParseCoordinates(text, out var parsedLat, out var parsedLng).ShouldBeTrue();
        parsedLat.ShouldBe(lat);
        parsedLng.ShouldBe(lng);
    }

    [Theory]
    [InlineData("91,10")]
    [InlineData("56.1,190")]
    [InlineData("56,1;10,2")]
    [InlineData("Dokk1")]
    public void TryParseCoordinates_OutOfRangeOrNotCoordinates_False(string text) =>
        PlaceFinder.TryParseCoordinates(text, out _, out _).ShouldBeFalse();
}
