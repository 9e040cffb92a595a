using System.Net;
using SmartParking.Server.Modules.Web;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Web;

/// <summary>The web app in the host: the page renders a search from the query string, and the CSP split between pages and the API holds.</summary>
public sealed class WebHostTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Get_SearchPage_PrerendersTheFormWithAPagePolicyThatAllowsLeafletAndTiles()
    {
        using var client = factory.Anonymous();

        var response = await client.GetAsync("/?q=56.1534,10.2143");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("<label for=\"place-search\">Where do you want to park?</label>");
        html.ShouldContain("near 56.1534, 10.2143");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        csp.ShouldContain("script-src 'self' https://unpkg.com;");
        csp.ShouldContain("https://tile.openstreetmap.org");
        csp.ShouldContain("frame-ancestors 'none'");
        csp.ShouldNotContain("unsafe-eval");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
    }

    [Theory]
    [InlineData("/api/v1/lots/nearby?lat=56.15&lng=10.2")]
    [InlineData("/health/live")]
    public async Task Get_MachineRoutes_KeepTheStrictPolicy(string path)
    {
        using var client = factory.Anonymous();

        var response = await client.GetAsync(path);

        response.Headers.GetValues("Content-Security-Policy").Single().ShouldBe("default-src 'none'; frame-ancestors 'none'");
    }

    [Theory]
    [InlineData("https://unpkg.com/leaflet@1.9.4/dist/", "https://unpkg.com")]
    [InlineData("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org")]
    [InlineData("http://localhost:8080/tiles/{z}/{x}/{y}.png", "http://localhost:8080")]
    [InlineData("", null)]
    [InlineData("/leaflet/", null)]
    public void Origin_Url_SchemeAndHostForTheCsp(string url, string? expected) => WebOptions.Origin(url).ShouldBe(expected);
}
