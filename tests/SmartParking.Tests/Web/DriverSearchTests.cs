using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Web;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Web;

/// <summary>The driver page's data: lots made through the operator API, read back as the page reads them. Each test uses its own random point.</summary>
public sealed class DriverSearchTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private const double EarthRadius = 6_371_008.8;

    private DriverSearch Search => factory.Services.GetRequiredService<DriverSearch>();

    private static (double Lat, double Lng) RandomCentre() => (Random.Shared.NextDouble() * 100 - 50, Random.Shared.NextDouble() * 340 - 170);

    private static (double Lat, double Lng) North((double Lat, double Lng) from, double metres) => (from.Lat + metres / EarthRadius * 180 / Math.PI, from.Lng);

    /// <summary>A lot through the API, once the availability model has it (it arrives by the catalogue notice).</summary>
    private async Task<Guid> LotAsync(string name, (double Lat, double Lng) at, decimal rate = 25.5m, Action<JsonObject>? change = null)
    {
        using var client = factory.OperatorClient();
        var body = Payloads.Lot(name, at.Lat, at.Lng);
        body["baseHourlyRate"] = rate;
        change?.Invoke(body);
        var id = (await client.CreateLotAsync(body)).GetProperty("id").GetGuid();
        var model = factory.Services.GetRequiredService<AvailabilityModel>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (model.Lot(id) is null)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Lot {name} did not reach the availability model.");
            await Task.Delay(20);
        }
        return id;
    }

    private async Task SpaceAsync(Guid lotId, string type)
    {
        using var client = factory.OperatorClient();
        await client.CreateSpaceAsync(lotId, Payloads.Space("S-" + Guid.NewGuid().ToString("N")[..6], type));
        var model = factory.Services.GetRequiredService<AvailabilityModel>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (model.Lot(lotId)?.ByType?.ContainsKey(type) != true)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The space did not reach the availability model.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task SearchAsync_LotsAround_NearestFirstWithAddressHoursAndAmenities()
    {
        var centre = RandomCentre();
        await LotAsync("far", North(centre, 900));
        var nearest = await LotAsync("near", North(centre, 100));
        await LotAsync("middle", North(centre, 400), change: b => b["amenities"] = new JsonArray("accessible"));

        var results = await Search.SearchAsync(centre.Lat, centre.Lng, new SearchFilter(), CancellationToken.None);

        results.Select(r => r.Name).ShouldBe(["near", "middle", "far"]);
        results.Select(r => r.DistanceMeters).Zip([100.0, 400.0, 900.0]).ShouldAllBe(p => Math.Abs(p.First - p.Second) < 0.5);
        var first = results[0];
        first.LotId.ShouldBe(nearest);
        first.Address.ShouldBe("Havnegade 1, Aarhus");
        first.OpeningHours.ShouldBe("Mon 07:00–22:00; Tue–Sun closed");
        first.PricePerHour.ShouldBe(25.5m);
        first.Currency.ShouldBe("DKK");
        first.Ev.ShouldBeTrue();
        first.Accessible.ShouldBeFalse();
        results[1].Accessible.ShouldBeTrue();
    }

    [Fact]
    public async Task SearchAsync_MaxPrice_LeavesOutDearerLots()
    {
        var centre = RandomCentre();
        await LotAsync("cheap", North(centre, 200), rate: 20m);
        await LotAsync("dear", North(centre, 100), rate: 40m);

        var results = await Search.SearchAsync(centre.Lat, centre.Lng, new SearchFilter(MaxPricePerHour: 30m), CancellationToken.None);

        results.Select(r => r.Name).ShouldBe(["cheap"]);
    }

    [Fact]
    public async Task SearchAsync_SpaceType_OnlyLotsWithThatTypeAndItsCounts()
    {
        var centre = RandomCentre();
        var withEv = await LotAsync("with ev", North(centre, 300));
        var without = await LotAsync("standard only", North(centre, 100));
        await SpaceAsync(withEv, "ev");
        await SpaceAsync(without, "standard");

        var results = await Search.SearchAsync(centre.Lat, centre.Lng, new SearchFilter(SpaceType: "ev"), CancellationToken.None);

        results.Select(r => r.LotId).ShouldBe([withEv]);
        // The new space has no sensor reading yet: it is not free, and not counted as reporting either.
        Search.CountsNow(withEv, "ev").ShouldBe((0, 0));
        Search.CountsNow(Guid.NewGuid(), null).ShouldBeNull();
    }

    [Fact]
    public async Task QuoteAsync_Window_IsPricingsQuoteForThatTime()
    {
        var centre = RandomCentre();
        var lotId = await LotAsync("quoted", North(centre, 50), rate: 20m, change: b => b["openingHours"] = new JsonArray());
        var start = new DateTimeOffset(2030, 3, 4, 9, 0, 0, TimeSpan.Zero);

        var quote = await Search.QuoteAsync(lotId, start, TimeSpan.FromHours(2), null, CancellationToken.None);

        var lot = (await factory.Services.GetRequiredService<LotCatalog>().FindAsync(lotId, CancellationToken.None))!;
        var expected = await factory.Services.GetRequiredService<PricingService>().QuoteAsync(lot,
            new DateTimeOffset(2030, 3, 4, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 3, 4, 11, 0, 0, TimeSpan.Zero), PriceScope.Lot, CancellationToken.None);
        quote.ShouldNotBeNull();
        quote.Amount.ShouldBe(expected.Amount);
        quote.Amount.ShouldBeGreaterThan(0);
        quote.Currency.ShouldBe("DKK");
        quote.Open.ShouldBeTrue();
    }

    [Fact]
    public async Task QuoteAsync_WindowOutsideOpeningHours_SaysNotOpenThroughout()
    {
        var centre = RandomCentre();
        // Payloads.Lot opens only on Mondays 07:00–22:00; 2030-03-05 is a Tuesday.
        var lotId = await LotAsync("monday only", North(centre, 50));

        var quote = await Search.QuoteAsync(lotId, new DateTimeOffset(2030, 3, 5, 9, 0, 0, TimeSpan.Zero), TimeSpan.FromHours(1), null, CancellationToken.None);

        quote!.Open.ShouldBeFalse();
    }

    [Fact]
    public async Task FindAsync_LotNameCoordinatesOrNothing_ResolvesEach()
    {
        var centre = RandomCentre();
        var name = "Findable Garage " + Guid.NewGuid().ToString("N")[..8];
        await LotAsync(name, centre);
        var places = factory.Services.GetRequiredService<PlaceFinder>();

        var lot = await places.FindAsync(name.ToLowerInvariant(), null, CancellationToken.None);
        var point = await places.FindAsync("56.1567, 10.2108", null, CancellationToken.None);
        var landmark = await places.FindAsync("Dokk1", PlaceFinderTests.Aarhus, CancellationToken.None);
        var nothing = await places.FindAsync("no such place " + Guid.NewGuid(), null, CancellationToken.None);

        lot.ShouldNotBeNull();
        lot.Kind.ShouldBe(PlaceKind.Lot);
        lot.Name.ShouldBe(name);
        lot.Latitude.ShouldBe(centre.Lat, 1e-9);
        point!.Kind.ShouldBe(PlaceKind.Coordinates);
        point.Latitude.ShouldBe(56.1567);
        landmark!.Kind.ShouldBe(PlaceKind.Landmark);
        nothing.ShouldBeNull();
    }
}
