using SmartParking.Server.Modules.Availability;

namespace SmartParking.Tests.Availability;

/// <summary>
/// The nearest-first walk over the grid finds the same lots, in the same order, as looking at every lot in the radius:
/// in a dense city, at the grid's cell edges, far north where a degree of longitude is short, and with a filter.
/// </summary>
public sealed class SpatialGridTests
{
    private static AvailabilityModel.LotEntry Lot(Random random, double lat, double lng, double spread)
    {
        var id = new byte[16];
        random.NextBytes(id);
        return Entry(new Guid(id), random, lat, lng, spread);
    }

    private static AvailabilityModel.LotEntry Entry(Guid id, Random random, double lat, double lng, double spread) => new(new AvailabilityModel.LotRow
    {
        Id = id,
        Name = "lot",
        Kind = "garage",
        Latitude = lat + (random.NextDouble() - 0.5) * spread,
        Longitude = lng + (random.NextDouble() - 0.5) * spread * 2,
        Currency = "DKK",
    });

    [Theory]
    [InlineData(56.15, 10.2, 0.2, 3000)] // a dense city, the driver search's radius
    [InlineData(56.15, 10.2, 0.02, 500)] // lots within a few cells
    [InlineData(69.65, 18.95, 0.3, 10_000)] // Tromsø: cells far narrower than tall
    [InlineData(-33.9, 18.4, 0.05, 50_000)] // the largest radius the search allows, south of the equator
    [InlineData(0.0, 0.0, 0.02, 1000)] // cells either side of the equator and the meridian
    public void Nearest_FindsWhatLookingAtEveryLotFinds(double lat, double lng, double spread, double radius)
    {
        var random = new Random(7);
        var lots = Enumerable.Range(0, 3000).Select(_ => Lot(random, lat, lng, spread)).ToList();
        var grid = new AvailabilityModel.SpatialGrid(lots);
        var everything = new List<(AvailabilityModel.LotEntry Lot, double Distance)>();
        var nearest = new List<(AvailabilityModel.LotEntry Lot, double Distance)>();
        for (var query = 0; query < 200; query++)
        {
            var (qLat, qLng) = (lat + (random.NextDouble() - 0.5) * spread * 1.5, lng + (random.NextDouble() - 0.5) * spread * 3);
            var count = random.Next(1, 60);
            Func<AvailabilityModel.LotEntry, bool>? matches = query % 3 == 0 ? l => l.Id.GetHashCode() % 4 == 0 : null;
            grid.Within(qLat, qLng, radius, everything);
            var expected = everything.Where(f => matches is null || matches(f.Lot)).Take(count).Select(f => f.Lot.Id).ToList();
            grid.Nearest(qLat, qLng, radius, matches, count, nearest);
            nearest.Select(f => f.Lot.Id).ToList().ShouldBe(expected, $"query {query} at {qLat},{qLng}, {count} wanted");
        }
    }

    [Fact]
    public void Nearest_WithNothingWanted_FindsNothing()
    {
        var random = new Random(3);
        var grid = new AvailabilityModel.SpatialGrid(Enumerable.Range(0, 10).Select(_ => Lot(random, 56, 10, 0.01)));
        var found = new List<(AvailabilityModel.LotEntry Lot, double Distance)>();
        grid.Nearest(56, 10, 5000, null, 0, found);
        found.ShouldBeEmpty();
    }
}
