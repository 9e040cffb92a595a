using System.Globalization;
using System.Net;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>GET /api/v1/lots/nearby. Each test works around its own random point so tests never see each other's lots.</summary>
public sealed class GeoSearchTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    // The server's mean Earth radius; distances along a meridian or a parallel are then exact.
    private const double EarthRadius = 6_371_008.8;

    private static (double Lat, double Lng) RandomCentre() =>
        (Random.Shared.NextDouble() * 100 - 50, Random.Shared.NextDouble() * 340 - 170);

    private static (double Lat, double Lng) North((double Lat, double Lng) from, double metres) =>
        (from.Lat + metres / EarthRadius * 180 / Math.PI, from.Lng);

    private static (double Lat, double Lng) South((double Lat, double Lng) from, double metres) => North(from, -metres);

    /// <summary>The point on the same parallel at exactly <paramref name="metres"/> great-circle distance (eastwards; negative for west).</summary>
    private static (double Lat, double Lng) East((double Lat, double Lng) from, double metres)
    {
        var delta = 2 * Math.Asin(Math.Sin(Math.Abs(metres) / (2 * EarthRadius)) / Math.Cos(from.Lat * Math.PI / 180)) * 180 / Math.PI;
        var lng = from.Lng + Math.Sign(metres) * delta;
        return (from.Lat, lng > 180 ? lng - 360 : lng < -180 ? lng + 360 : lng);
    }

    private async Task PlaceLotAsync(HttpClient client, string name, (double Lat, double Lng) at) =>
        await client.CreateLotAsync(Payloads.Lot(name, at.Lat, at.Lng));

    private static string Query((double Lat, double Lng) at, string extra = "") =>
        string.Create(CultureInfo.InvariantCulture, $"/api/v1/lots/nearby?lat={at.Lat:R}&lng={at.Lng:R}{extra}");

    [Fact]
    public async Task Nearby_LotsAtKnownDistances_ReturnsThoseInRadiusNearestFirstWithDistances()
    {
        using var client = factory.OperatorClient();
        var centre = RandomCentre();
        await PlaceLotAsync(client, "900 m north", North(centre, 900));
        await PlaceLotAsync(client, "2500 m west", East(centre, -2500));
        await PlaceLotAsync(client, "100 m east", East(centre, 100));
        await PlaceLotAsync(client, "400 m south", South(centre, 400));
        using var anonymous = factory.Anonymous();

        var lots = (await anonymous.GetJsonAsync(Query(centre, "&radius=1000"))).EnumerateArray().ToList();

        lots.Select(l => l.Str("name")).ShouldBe(["100 m east", "400 m south", "900 m north"]);
        lots.Select(l => l.GetProperty("distanceMeters").GetDouble()).Zip([100.0, 400.0, 900.0])
            .ShouldAllBe(pair => Math.Abs(pair.First - pair.Second) <= 0.2);
        lots[0].GetProperty("totalCapacity").GetInt32().ShouldBe(110);
        lots[0].TryGetProperty("tenantId", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Nearby_SmallerRadius_ExcludesFartherLots()
    {
        using var client = factory.OperatorClient();
        var centre = RandomCentre();
        await PlaceLotAsync(client, "near", North(centre, 300));
        await PlaceLotAsync(client, "just outside", North(centre, 520));
        await PlaceLotAsync(client, "far", East(centre, 4000));
        using var anonymous = factory.Anonymous();

        (await anonymous.GetJsonAsync(Query(centre, "&radius=500"))).EnumerateArray().Select(l => l.Str("name")).ShouldBe(["near"]);
        (await anonymous.GetJsonAsync(Query(centre, "&radius=5000"))).EnumerateArray().Select(l => l.Str("name")).ShouldBe(["near", "just outside", "far"]);
        // Without a radius: 1000 m.
        (await anonymous.GetJsonAsync(Query(centre))).EnumerateArray().Select(l => l.Str("name")).ShouldBe(["near", "just outside"]);
    }

    [Fact]
    public async Task Nearby_Limit_ReturnsOnlyTheNearest()
    {
        using var client = factory.OperatorClient();
        var centre = RandomCentre();
        for (var i = 1; i <= 5; i++)
            await PlaceLotAsync(client, $"lot {i}", East(centre, i * 150));
        using var anonymous = factory.Anonymous();

        (await anonymous.GetJsonAsync(Query(centre, "&limit=2"))).EnumerateArray().Select(l => l.Str("name")).ShouldBe(["lot 1", "lot 2"]);
    }

    [Fact]
    public async Task Nearby_NothingAround_ReturnsEmptyList()
    {
        using var anonymous = factory.Anonymous();
        (await anonymous.GetJsonAsync("/api/v1/lots/nearby?lat=-89&lng=0")).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Nearby_AcrossTheAntimeridian_FindsLotOnTheOtherSide()
    {
        using var client = factory.OperatorClient();
        var centre = (Lat: -16.5 + Random.Shared.NextDouble(), Lng: 179.999);
        var other = East(centre, 600); // lands just past 180, at about -179.995
        other.Lng.ShouldBeLessThan(0);
        await PlaceLotAsync(client, "Taveuni east", other);
        using var anonymous = factory.Anonymous();

        var lots = (await anonymous.GetJsonAsync(Query(centre))).EnumerateArray().ToList();

        lots.Select(l => l.Str("name")).ShouldBe(["Taveuni east"]);
        lots[0].GetProperty("distanceMeters").GetDouble().ShouldBe(600, 0.2);
    }

    [Theory]
    [InlineData("lat=91&lng=10", "lat")]
    [InlineData("lat=-90.5&lng=10", "lat")]
    [InlineData("lat=56&lng=180.1", "lng")]
    [InlineData("lng=10", "lat")]
    [InlineData("lat=56", "lng")]
    [InlineData("lat=56&lng=10&radius=0", "radius")]
    [InlineData("lat=56&lng=10&radius=-5", "radius")]
    [InlineData("lat=56&lng=10&radius=50001", "radius")]
    [InlineData("lat=56&lng=10&limit=0", "limit")]
    [InlineData("lat=56&lng=10&limit=201", "limit")]
    [InlineData("lat=north&lng=10", "lat")]
    public async Task Nearby_InvalidQuery_Returns400NamingTheParameter(string query, string field)
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.GetAsync($"/api/v1/lots/nearby?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }
}
