using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Web;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Web;

/// <summary>Nominatim's documented /search API (format=jsonv2: an array of places, coordinates as strings) on a local socket.</summary>
public sealed class FakeNominatim : FakeServiceServer
{
    public ConcurrentQueue<(string Query, string UserAgent)> Calls { get; } = new();
    public TimeSpan Delay { get; set; }

    protected override void Map(WebApplication app) =>
        app.MapGet("/search", async (HttpRequest request) =>
        {
            Calls.Enqueue((request.QueryString.Value ?? "", request.Headers.UserAgent.ToString()));
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
            return request.Query["q"].ToString() switch
            {
                "Vestergade 12, Aarhus" => Results.Text("""
                    [{"place_id":1,"lat":"56.1556","lon":"10.2059","display_name":"Vestergade 12, Indre By, Aarhus, Aarhus Kommune, Region Midtjylland, 8000, Danmark","type":"house"}]
                    """, "application/json"),
                "broken" => Results.Text("[{\"lat\":", "application/json"),
                _ => Results.Text("[]", "application/json"),
            };
        });
}

public sealed class GeocoderFactory : ApiFactory, IAsyncLifetime
{
    public FakeNominatim Nominatim { get; } = new();

    public override async Task InitializeAsync()
    {
        await Nominatim.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Web:GeocoderUrl"] = new Uri(Nominatim.BaseUrl, "/search").ToString();
        settings["Web:GeocoderTimeoutMs"] = "500";
        settings["Web:GeocoderMinIntervalMs"] = "0";
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await Nominatim.DisposeAsync();
    }
}

public sealed class GeocoderTests(GeocoderFactory factory) : IClassFixture<GeocoderFactory>
{
    private PlaceFinder Places => factory.Services.GetRequiredService<PlaceFinder>();

    [Fact]
    public async Task Find_AnAddressNoLotHas_AskedOfNominatimAndShortened()
    {
        var place = await Places.FindAsync("Vestergade 12, Aarhus", PlaceFinderTests.Aarhus, CancellationToken.None);

        place.ShouldNotBeNull();
        place.Kind.ShouldBe(PlaceKind.Address);
        place.Name.ShouldBe("Vestergade 12, Indre By, Aarhus");
        place.Latitude.ShouldBe(56.1556);
        place.Longitude.ShouldBe(10.2059);
        var call = factory.Nominatim.Calls.Single(c => c.Query.Contains("Vestergade", StringComparison.Ordinal));
        call.Query.ShouldContain("format=jsonv2");
        call.Query.ShouldContain("countrycodes=dk");
        call.UserAgent.ShouldStartWith("SmartParking/");
    }

    [Fact]
    public async Task Find_AnAddressInAnotherCountrysCity_KeptToThatCountry()
    {
        var melbourne = PlaceFinderTests.Aarhus with { Slug = "melbourne", TimeZone = "Australia/Melbourne", CountryCodes = ["AU"], Places = [] };

        await Places.FindAsync("Collins Street 100", melbourne, CancellationToken.None);

        factory.Nominatim.Calls.Single(c => c.Query.Contains("Collins", StringComparison.Ordinal)).Query.ShouldContain("countrycodes=au");
    }

    [Fact]
    public async Task Find_TheSameAddressTwice_AskedOnce()
    {
        await Places.FindAsync("Nowhere Street 99", null, CancellationToken.None);
        await Places.FindAsync("nowhere street 99", null, CancellationToken.None);

        factory.Nominatim.Calls.Count(c => c.Query.Contains("Nowhere", StringComparison.OrdinalIgnoreCase)).ShouldBe(1);
    }

    [Fact]
    public async Task Find_ALandmark_NeverAsksTheGeocoder()
    {
        (await Places.FindAsync("Dokk1", PlaceFinderTests.Aarhus, CancellationToken.None))!.Kind.ShouldBe(PlaceKind.Landmark);

        factory.Nominatim.Calls.ShouldNotContain(c => c.Query.Contains("Dokk1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Find_GeocoderSlowerThanItsTimeout_NotFoundAndAskedAgainNextTime()
    {
        factory.Nominatim.Delay = TimeSpan.FromSeconds(3);
        try
        {
            (await Places.FindAsync("Slow Street 1", null, CancellationToken.None)).ShouldBeNull();
        }
        finally
        {
            factory.Nominatim.Delay = TimeSpan.Zero;
        }
        await Places.FindAsync("Slow Street 1", null, CancellationToken.None);

        factory.Nominatim.Calls.Count(c => c.Query.Contains("Slow", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public async Task Find_GeocoderAnswersGarbage_NotFoundInsteadOfAnError()
    {
        (await Places.FindAsync("broken", null, CancellationToken.None)).ShouldBeNull();
    }
}
