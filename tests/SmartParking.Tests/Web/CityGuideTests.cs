using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Web;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Web;

/// <summary>
/// Each operator's city guide (address countries, named places) drives the driver app's place search, hint and arrival
/// zone for that city: nothing about Aarhus is built in.
/// </summary>
public sealed class CityGuideTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private static object Guide(params (string Name, double Lat, double Lng)[] places) => new
    {
        countryCodes = new[] { "au" },
        places = places.Select(p => new { name = p.Name, latitude = p.Lat, longitude = p.Lng, aliases = new[] { p.Name + " alias" } }).ToArray(),
    };

    /// <summary>A tenant in Melbourne with a lot and a guide; names are made unique so tests sharing the database do not meet.</summary>
    private async Task<(Guid TenantId, HttpClient Operator, string Slug, string Place)> MelbourneAsync()
    {
        var tenantId = await factory.CreateTenantAsync("Melbourne " + Guid.NewGuid().ToString("N")[..6], "Australia/Melbourne", "AUD");
        var client = factory.ClientFor(await factory.CreateOperatorAsync(tenantId));
        var lot = Payloads.Lot("Melbourne lot " + Guid.NewGuid().ToString("N")[..6], -37.8183, 144.9671);
        lot["timeZone"] = "Australia/Melbourne";
        lot["currency"] = "AUD";
        await client.CreateLotAsync(lot);
        var place = "Flinders Street Station " + Guid.NewGuid().ToString("N")[..6];
        await (await client.PutAsJsonAsync($"/api/v1/manage/tenants/{tenantId}/city-guide", Guide((place, -37.8183, 144.9671))))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        var slug = (await client.GetJsonAsync($"/api/v1/manage/tenants/{tenantId}")).Str("slug");
        return (tenantId, client, slug, place);
    }

    [Fact]
    public async Task PutGuide_OwnTenant_ReadBackNormalised()
    {
        var (tenantId, client, _, place) = await MelbourneAsync();

        var guide = await client.GetJsonAsync($"/api/v1/manage/tenants/{tenantId}/city-guide");

        guide.GetProperty("countryCodes")[0].GetString().ShouldBe("AU");
        guide.GetProperty("places")[0].Str("name").ShouldBe(place);
        guide.GetProperty("places")[0].GetProperty("aliases")[0].GetString().ShouldBe(place + " alias");
        client.Dispose();
    }

    [Theory]
    [InlineData("""{"countryCodes":["AUS"],"places":[]}""", "countryCodes[0]")]
    [InlineData("""{"countryCodes":[],"places":[{"name":"","latitude":1,"longitude":2}]}""", "places[0].name")]
    [InlineData("""{"countryCodes":[],"places":[{"name":"x","latitude":1,"longitude":2},{"name":"y","latitude":91,"longitude":2}]}""", "places[1].latitude")]
    [InlineData("""{"places":[null]}""", "places[0]")]
    public async Task PutGuide_BadField_400NamesIt(string body, string field)
    {
        using var client = factory.OperatorClient();

        await (await client.PutAsync($"/api/v1/manage/tenants/{factory.TenantId}/city-guide", new StringContent(body, System.Text.Encoding.UTF8, "application/json")))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Guide_OtherTenantsOperatorOrDriver_CannotReadOrChangeIt()
    {
        var (tenantId, own, _, _) = await MelbourneAsync();
        using var other = factory.OperatorClient();
        using var driver = factory.ClientFor(await factory.RegisterDriverAsync());

        (await other.GetAsync($"/api/v1/manage/tenants/{tenantId}/city-guide")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PutAsJsonAsync($"/api/v1/manage/tenants/{tenantId}/city-guide", Guide())).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await driver.GetAsync($"/api/v1/manage/tenants/{tenantId}/city-guide")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await own.GetJsonAsync($"/api/v1/manage/tenants/{tenantId}/city-guide")).GetProperty("places").GetArrayLength().ShouldBe(1);
        own.Dispose();
    }

    [Fact]
    public async Task FindPlace_ChosenCityOrAnyCity_OnlyTheChosenCitysPlaces()
    {
        var (_, client, slug, place) = await MelbourneAsync();
        var guides = factory.Services.GetRequiredService<CityGuides>();
        var places = factory.Services.GetRequiredService<PlaceFinder>();
        var melbourne = (await guides.FindAsync(slug, CancellationToken.None))!;
        var (_, otherClient, otherSlug, _) = await MelbourneAsync();
        var other = (await guides.FindAsync(otherSlug, CancellationToken.None))!;

        var inCity = await places.FindAsync(place.ToLowerInvariant() + " alias", melbourne, CancellationToken.None);
        var anywhere = await places.FindAsync(place, null, CancellationToken.None);
        var elsewhere = await places.FindAsync(place, other, CancellationToken.None);

        inCity!.Kind.ShouldBe(PlaceKind.Landmark);
        inCity.Name.ShouldBe(place);
        inCity.Latitude.ShouldBe(-37.8183);
        anywhere!.Name.ShouldBe(place);
        (elsewhere?.Kind).ShouldNotBe(PlaceKind.Landmark);
        melbourne.TimeZone.ShouldBe("Australia/Melbourne");
        melbourne.CountryCodes.ShouldBe(["AU"]);
        client.Dispose();
        otherClient.Dispose();
    }

    [Fact]
    public async Task SearchPage_InAMelbourneCity_ArrivalHintAndLabelsAreMelbournes()
    {
        var (_, client, slug, place) = await MelbourneAsync();
        using var browser = factory.CreateClient();

        var html = await browser.GetStringAsync($"/?city={slug}&q={Uri.EscapeDataString(place)}");

        html.ShouldContain("Arrive (local time, Australia/Melbourne)");
        html.ShouldContain("A place (" + place);
        html.ShouldNotContain("Aarhus Cathedral");
        // The default arrival is the next quarter hour in Melbourne, not in Copenhagen or UTC.
        var melbourneNow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Australia/Melbourne"));
        var value = System.Text.RegularExpressions.Regex.Match(html, "id=\"window-start\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;
        var arrival = DateTime.ParseExact(value, "yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture);
        (arrival - melbourneNow.DateTime).ShouldBeInRange(TimeSpan.FromMinutes(-1), TimeSpan.FromMinutes(16));
        client.Dispose();
    }
}
