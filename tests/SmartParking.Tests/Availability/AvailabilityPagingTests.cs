using System.Net;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Availability;

/// <summary>Availability lists say how many matched and link the next page when the answer holds only part of them.</summary>
public sealed class AvailabilityPagingTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private static async Task<(JsonElement Body, int? Total, string? Next)> PageAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var body = await response.ShouldHaveStatusAsync(HttpStatusCode.OK);
        int? total = response.Headers.TryGetValues("X-Total-Count", out var counts) ? int.Parse(counts.Single(), System.Globalization.CultureInfo.InvariantCulture) : null;
        string? next = null;
        if (response.Headers.TryGetValues("Link", out var links))
        {
            var link = links.Single();
            link.ShouldEndWith(">; rel=\"next\"");
            next = link[1..link.IndexOf('>', StringComparison.Ordinal)];
        }
        return (body, total, next);
    }

    private static List<Guid> LotIds(JsonElement lots) => lots.EnumerateArray().Select(l => l.GetProperty("lotId").GetGuid()).ToList();

    [Fact]
    public async Task Nearby_MoreLotsThanTheLimit_SaysTheTotalAndLinksTheNextPage()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var (lat, lng) = SomewhereNew();
        var lots = new List<Guid>();
        // About 0, 300 and 600 m north; only the farthest has an EV space.
        foreach (var (north, type) in new[] { (0.0, "standard"), (0.0027, "standard"), (0.0054, "ev") })
        {
            var lotId = (await op.CreateLotAtAsync(lat + north, lng, "Paged Garage")).Id();
            await op.CreateSensorAsync(lotId, "P1", type);
            lots.Add(lotId);
        }
        var url = $"/api/v1/availability?lat={lat}&lng={lng}&radius=1000";
        await Poll.UntilAsync(() => anonymous.GetJsonAsync(url), r => r.GetArrayLength() == 3, Eventually, "the three lots");
        // Each lot's space reaches the model after the lot itself: wait for the EV one too before filtering by type.
        await Poll.UntilAsync(() => anonymous.GetJsonAsync(url + "&type=ev"), r => r.GetArrayLength() == 1, Eventually, "the EV space");

        var (first, total, next) = await PageAsync(anonymous, url + "&limit=2");
        LotIds(first).ShouldBe(lots[..2]);
        total.ShouldBe(3);
        next.ShouldNotBeNull("more lots match than this answer holds");
        next.ShouldStartWith("/api/v1/availability?");
        next.ShouldContain("limit=2");
        next.ShouldContain("offset=2");

        var (second, secondTotal, last) = await PageAsync(anonymous, next);
        LotIds(second).ShouldBe(lots[2..]);
        secondTotal.ShouldBe(3);
        last.ShouldBeNull();

        // The default limit holds all three: the total is still said, and there is no next page.
        var (all, allTotal, none) = await PageAsync(anonymous, url);
        LotIds(all).ShouldBe(lots);
        allTotal.ShouldBe(3);
        none.ShouldBeNull();

        // With a type, the total counts the lots that have it.
        var (ev, evTotal, _) = await PageAsync(anonymous, url + "&type=ev");
        LotIds(ev).ShouldBe(lots[2..]);
        evTotal.ShouldBe(1);
        var (beyond, beyondTotal, beyondNext) = await PageAsync(anonymous, url + "&offset=5");
        beyond.GetArrayLength().ShouldBe(0);
        beyondTotal.ShouldBe(3);
        beyondNext.ShouldBeNull();
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("offset=x", "offset")]
    public async Task Nearby_BadLimitOrOffset_IsAProblemNamingTheField(string query, string field)
    {
        using var anonymous = factory.Anonymous();
        await (await anonymous.GetAsync($"/api/v1/availability?lat=56.15&lng=10.2&{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=5001", "limit")]
    [InlineData("offset=-1", "offset")]
    public async Task LotSpaces_BadLimitOrOffset_IsAProblemNamingTheField(string query, string field)
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var lotId = (await op.CreateLotAsync()).Id();
        await (await anonymous.GetAsync($"/api/v1/lots/{lotId}/availability?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task LotSpaces_MoreSpacesThanTheLimit_SaysSoInThePageAndLinksTheNext()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var lotId = (await op.CreateLotAsync()).Id();
        foreach (var label in new[] { "A1", "A2", "A3" }) await op.CreateSensorAsync(lotId, label);
        var url = $"/api/v1/lots/{lotId}/availability";
        await Poll.UntilAsync(() => anonymous.GetJsonAsync(url), r => r.ValueKind == JsonValueKind.Object && r.GetProperty("spaces").GetArrayLength() == 3, Eventually, "the three spaces");

        var (first, total, next) = await PageAsync(anonymous, url + "?limit=2");
        first.GetProperty("lot").GetProperty("lotId").GetGuid().ShouldBe(lotId);
        first.GetProperty("spaces").EnumerateArray().Select(s => s.Str("label")).ShouldBe(["A1", "A2"]);
        var page = first.GetProperty("page");
        page.GetProperty("offset").GetInt32().ShouldBe(0);
        page.GetProperty("limit").GetInt32().ShouldBe(2);
        page.GetProperty("total").GetInt32().ShouldBe(3);
        page.GetProperty("capped").GetBoolean().ShouldBeTrue();
        page.Str("next").ShouldBe(next);
        total.ShouldBe(3);
        next.ShouldBe($"/api/v1/lots/{lotId}/availability?limit=2&offset=2");

        var (second, _, last) = await PageAsync(anonymous, next!);
        second.GetProperty("spaces").EnumerateArray().Select(s => s.Str("label")).ShouldBe(["A3"]);
        second.GetProperty("page").GetProperty("capped").GetBoolean().ShouldBeFalse();
        second.GetProperty("page").GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
        last.ShouldBeNull();

        var (all, _, _) = await PageAsync(anonymous, url);
        all.GetProperty("spaces").GetArrayLength().ShouldBe(3);
        all.GetProperty("page").GetProperty("capped").GetBoolean().ShouldBeFalse();
        all.GetProperty("page").GetProperty("total").GetInt32().ShouldBe(3);
    }

    [Fact]
    public async Task NgsiLdEntities_Paged_SayTheTotalAndLinkTheNextPage()
    {
        using var op = factory.OperatorClient();
        using var anonymous = factory.Anonymous();
        var lotId = (await op.CreateLotAsync()).Id();
        foreach (var label in new[] { "N1", "N2" }) await op.CreateSensorAsync(lotId, label);
        const string url = "/ngsi-ld/v1/entities?type=ParkingSpot";
        await Poll.UntilAsync(() => PageAsync(anonymous, url + "&limit=1"), p => p.Total >= 2, Eventually, "two spots at least");

        var (first, total, next) = await PageAsync(anonymous, url + "&limit=1");
        first.GetArrayLength().ShouldBe(1);
        next.ShouldNotBeNull();
        next.ShouldContain("offset=1");
        var (second, secondTotal, _) = await PageAsync(anonymous, next);
        // Other tests' spots may still be arriving through the change feed: the total can only grow.
        secondTotal.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(total!.Value);
        second[0].Str("id").ShouldNotBe(first[0].Str("id"));
    }
}
