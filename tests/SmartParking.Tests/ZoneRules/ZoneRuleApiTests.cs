using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.ZoneRules;

/// <summary>Parking rules through the API: kept per lot and zone, shown to drivers, and applied to reservations and meter sessions.</summary>
public sealed class ZoneRuleApiTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private const string Melbourne = "Australia/Melbourne";
    private const string TwoHours = "2P Mon-Fri 07:30-18:30";

    /// <summary>A lot open around the clock in Melbourne, with a zone holding one standard space per label given.</summary>
    private async Task<(Guid LotId, Guid ZoneId, IReadOnlyList<Guid> Spaces)> LotWithZoneAsync(string code, params string[] labels)
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = IngestKit.SomewhereNew();
        var lot = Payloads.Lot("Rules Lot", lat, lng);
        lot["openingHours"] = new JsonArray();
        lot["timeZone"] = Melbourne;
        var lotId = (await op.CreateLotAsync(lot)).Id();
        var zoneId = (await op.CreateZoneAsync(lotId, Payloads.Zone(code, "Zone " + code))).Id();
        var spaces = new List<Guid>();
        foreach (var label in labels) spaces.Add((await op.CreateSpaceAsync(lotId, Payloads.Space(label, zoneId: zoneId))).Id());
        return (lotId, zoneId, spaces);
    }

    private async Task PutRulesAsync(string path, params object[] rules)
    {
        using var op = factory.OperatorClient();
        await (await op.PutAsJsonAsync(path, new { rules })).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    /// <summary>The given weekday at a wall-clock time in Melbourne, at least two days from the test clock's now.</summary>
    private DateTimeOffset Next(DayOfWeek day, int hour, int minute = 0)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Melbourne);
        var date = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), zone).Date.AddDays(2);
        while (date.DayOfWeek != day) date = date.AddDays(1);
        var local = date.AddHours(hour).AddMinutes(minute);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    [Fact]
    public async Task PutZoneRules_FieldsOrCityText_StoredInOrderWithTheirText()
    {
        var (_, zoneId, _) = await LotWithZoneAsync("R1");
        using var op = factory.OperatorClient();

        var saved = await (await op.PutAsJsonAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new
        {
            rules = new object[]
            {
                new { text = TwoHours },
                new { kind = "no_parking", days = new[] { "sat", "sun" }, from = "22:00", to = "06:00" },
            },
        })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var read = await op.GetJsonAsync($"/api/v1/manage/zones/{zoneId}/parking-rules");

        foreach (var answer in new[] { saved, read })
        {
            answer.Str("timeZone").ShouldBe(Melbourne);
            var rules = answer.GetProperty("rules").EnumerateArray().ToList();
            rules.Select(r => r.Str("text")).ShouldBe(["2P Mon–Fri 07:30–18:30", "No Parking Sat–Sun 22:00–06:00"]);
            rules[0].Str("kind").ShouldBe("max_stay");
            rules[0].GetProperty("maxStayMinutes").GetInt32().ShouldBe(120);
            rules[1].Str("from").ShouldBe("22:00");
        }
    }

    [Theory]
    [InlineData("""[{"text":"2P Mon-Fri 07:30-18:30"},{"kind":"max_stay","days":["mon"],"from":"25:00","to":"18:00","maxStayMinutes":60}]""", "rules[1].from")]
    [InlineData("""[{"text":"Park here all day"}]""", "rules[0].text")]
    [InlineData("""[{"text":"2P","kind":"max_stay"}]""", "rules[0].text")]
    [InlineData("""[{"kind":"max_stay","days":["mon"],"from":"07:00","to":"09:00"}]""", "rules[0].maxStayMinutes")]
    [InlineData("""[{"kind":"no_parking","days":["mon"],"from":"07:00","to":"09:00","maxStayMinutes":30}]""", "rules[0].maxStayMinutes")]
    [InlineData("""[{"kind":"stand","days":["mon"],"from":"07:00","to":"09:00"}]""", "rules[0].kind")]
    [InlineData("""[{"kind":"loading","days":["someday"],"from":"07:00","to":"09:00"}]""", "rules[0].days")]
    [InlineData("""[{"kind":"loading","days":["mon"],"from":"07:00","to":"07:00"}]""", "rules[0].to")]
    [InlineData("""[null]""", "rules[0]")]
    [InlineData("""null""", "rules")]
    public async Task PutRules_BadRule_400NamingTheFieldAndNothingChanges(string rules, string field)
    {
        var (lotId, _, _) = await LotWithZoneAsync("R2");
        await PutRulesAsync($"/api/v1/manage/lots/{lotId}/parking-rules", new { text = "4P" });
        using var op = factory.OperatorClient();

        var response = await op.PutAsync($"/api/v1/manage/lots/{lotId}/parking-rules", JsonContent.Create(JsonNode.Parse($$"""{"rules":{{rules}}}""")));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
        (await op.GetJsonAsync($"/api/v1/manage/lots/{lotId}/parking-rules")).GetProperty("rules").EnumerateArray().Select(r => r.Str("text")).ShouldBe(["4P Mon–Sun"]);
    }

    [Fact]
    public async Task Rules_OtherTenantsOperatorOrADriver_CannotReadOrChangeThem()
    {
        var (lotId, zoneId, _) = await LotWithZoneAsync("R3");
        var (_, stranger, _) = await factory.NewTenantWithOperatorAsync();
        var (_, driver) = await factory.DriverAsync();
        var body = new { rules = new[] { new { text = "No Parking" } } };

        foreach (var path in new[] { $"/api/v1/manage/lots/{lotId}/parking-rules", $"/api/v1/manage/zones/{zoneId}/parking-rules" })
        {
            await (await stranger.GetAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
            await (await stranger.PutAsJsonAsync(path, body)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
            (await driver.PutAsJsonAsync(path, body)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }
        using var op = factory.OperatorClient();
        (await op.GetJsonAsync($"/api/v1/manage/zones/{zoneId}/parking-rules")).GetProperty("rules").GetArrayLength().ShouldBe(0);
        stranger.Dispose();
    }

    [Fact]
    public async Task PublicLot_ShowsTheLotsAndEachZonesRulesWithTheirText()
    {
        var (lotId, zoneId, _) = await LotWithZoneAsync("R4");
        await PutRulesAsync($"/api/v1/manage/lots/{lotId}/parking-rules", new { text = "No Parking Mon-Fri 07:00-09:00" });
        await PutRulesAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { text = TwoHours }, new { text = "LZ 30M Sat 07:30-18:30" });
        using var anonymous = factory.Anonymous();

        var lot = await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}");

        var groups = lot.GetProperty("parkingRules").EnumerateArray().ToList();
        groups.Count.ShouldBe(2);
        groups[0].GetProperty("zoneId").ValueKind.ShouldBe(JsonValueKind.Null);
        groups[0].GetProperty("rules")[0].Str("text").ShouldBe("No Parking Mon–Fri 07:00–09:00");
        groups[1].GetProperty("zoneId").GetGuid().ShouldBe(zoneId);
        groups[1].Str("zoneCode").ShouldBe("R4");
        groups[1].GetProperty("rules").EnumerateArray().Select(r => r.Str("text")).ShouldBe(["2P Mon–Fri 07:30–18:30", "LZ 30M Sat 07:30–18:30"]);
    }

    [Fact]
    public async Task Reservation_TheIssuesExample_ThreeHoursInATwoHourZoneRefusedTwoAcceptedThreeFromHalfPastFiveAccepted()
    {
        var (lotId, zoneId, spaces) = await LotWithZoneAsync("R5", "R5-1");
        await PutRulesAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { text = TwoHours });
        var (_, driver) = await factory.DriverAsync();
        var nine = Next(DayOfWeek.Monday, 9);

        var threeHours = await driver.PostAsJsonAsync("/api/v1/reservations", BookingFactory.Booking(lotId, spaces[0], nine, TimeSpan.FromHours(3)));
        var twoHours = await driver.PostAsJsonAsync("/api/v1/reservations", BookingFactory.Booking(lotId, spaces[0], nine, TimeSpan.FromHours(2)));
        var lateThreeHours = await driver.PostAsJsonAsync("/api/v1/reservations", BookingFactory.Booking(lotId, spaces[0], Next(DayOfWeek.Monday, 17, 30), TimeSpan.FromHours(3)));

        var problem = await threeHours.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.Str("detail").ShouldStartWith("2P Mon–Fri 07:30–18:30 (Australia/Melbourne): at most 2 h between 07:30 and 18:30");
        problem.Str("rule").ShouldBe("2P Mon–Fri 07:30–18:30");
        await twoHours.ShouldHaveStatusAsync(HttpStatusCode.Created);
        await lateThreeHours.ShouldHaveStatusAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Reservation_Extension_BeyondTheZonesMaximumStay_409()
    {
        var (lotId, zoneId, spaces) = await LotWithZoneAsync("R6", "R6-1");
        await PutRulesAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { text = TwoHours });
        var (_, driver) = await factory.DriverAsync();
        var id = (await BookingFactory.BookAsync(driver, BookingFactory.Booking(lotId, spaces[0], Next(DayOfWeek.Tuesday, 9), TimeSpan.FromHours(1)))).Id();

        var tooFar = await driver.PostAsJsonAsync($"/api/v1/reservations/{id}/extension", new { end = Next(DayOfWeek.Tuesday, 11, 30) });
        var withinIt = await driver.PostAsJsonAsync($"/api/v1/reservations/{id}/extension", new { end = Next(DayOfWeek.Tuesday, 11) });

        (await tooFar.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("at most 2 h");
        await withinIt.ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Reservation_AnySpaceOfType_PicksAZoneWhoseRulesAllowTheStayAndRefusesOnlyWhenNoneDoes()
    {
        var (lotId, shortZone, _) = await LotWithZoneAsync("R7", "R7-short");
        using var op = factory.OperatorClient();
        var longZone = (await op.CreateZoneAsync(lotId, Payloads.Zone("R7L", "Long stay"))).Id();
        var longSpace = (await op.CreateSpaceAsync(lotId, Payloads.Space("R7-long", zoneId: longZone))).Id();
        await PutRulesAsync($"/api/v1/manage/zones/{shortZone}/parking-rules", new { text = "1P" });
        var (_, driver) = await factory.DriverAsync();
        var start = Next(DayOfWeek.Wednesday, 10);
        var booking = new { lotId, spaceType = "standard", start, end = start.AddHours(3) };

        var first = await BookingFactory.BookAsync(driver, booking);
        var second = await driver.PostAsJsonAsync("/api/v1/reservations", booking);

        first.GetProperty("spaceId").GetGuid().ShouldBe(longSpace);
        var problem = await second.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.Str("detail").ShouldContain("1P Mon–Sun (Australia/Melbourne): at most 1 h");
        // A stay the short zone allows still finds its space.
        await BookingFactory.BookAsync(driver, booking with { end = start.AddHours(1) });
    }

    [Fact]
    public async Task Reservation_LoadingWindow_OnlyLoadingSpacesForTheirMaximumStay()
    {
        var (lotId, zoneId, spaces) = await LotWithZoneAsync("R8", "R8-car");
        using var op = factory.OperatorClient();
        var bay = (await op.CreateSpaceAsync(lotId, Payloads.Space("R8-bay", "loading", zoneId))).Id();
        await PutRulesAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { text = "LZ 30M Sat 07:30-18:30" });
        var (_, driver) = await factory.DriverAsync();
        var ten = Next(DayOfWeek.Saturday, 10);

        var car = await driver.PostAsJsonAsync("/api/v1/reservations", BookingFactory.Booking(lotId, spaces[0], ten, TimeSpan.FromMinutes(30)));
        var longLoad = await driver.PostAsJsonAsync("/api/v1/reservations", BookingFactory.Booking(lotId, bay, ten, TimeSpan.FromMinutes(45)));

        (await car.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("loading vehicles only");
        await longLoad.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await BookingFactory.BookAsync(driver, BookingFactory.Booking(lotId, bay, ten, TimeSpan.FromMinutes(30)));
        // After the window the car may stay.
        await BookingFactory.BookAsync(driver, BookingFactory.Booking(lotId, spaces[0], Next(DayOfWeek.Saturday, 19), TimeSpan.FromHours(2)));
    }

    [Fact]
    public async Task Session_LotWideNoParkingNow_400NamesTheRule()
    {
        var (lotId, _, _) = await LotWithZoneAsync("R9");
        await PutRulesAsync($"/api/v1/manage/lots/{lotId}/parking-rules", new { text = "No Parking" });
        var (_, driver) = await factory.DriverAsync();

        var response = await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "ZR 12 345", durationMinutes = 30 });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "durationMinutes");
        problem.GetProperty("errors").GetProperty("durationMinutes")[0].GetString()!.ShouldContain("No Parking Mon–Sun (Australia/Melbourne)");
    }

    [Fact]
    public async Task Session_InALoadingZoneOrPastAZonesWindowedLimit_RefusedOrCappedByTheRules()
    {
        var (lotId, loadingZone, _) = await LotWithZoneAsync("R12");
        using var op = factory.OperatorClient();
        var shortZone = (await op.CreateZoneAsync(lotId, Payloads.Zone("R12S", "Short stay"))).Id();
        await PutRulesAsync($"/api/v1/manage/zones/{loadingZone}/parking-rules", new { text = "Loading Zone" });
        await PutRulesAsync($"/api/v1/manage/zones/{shortZone}/parking-rules", new { text = "1/2P" });
        var (_, driver) = await factory.DriverAsync();

        var loading = await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, zoneId = loadingZone, plate = "ZR 12 346", durationMinutes = 10 });
        var started = await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, zoneId = shortZone, plate = "ZR 12 347", durationMinutes = 20 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        var extended = await driver.PostAsJsonAsync($"/api/v1/sessions/{started.Id()}/extension", new { addMinutes = 15 });

        (await loading.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "durationMinutes")).GetProperty("errors").GetProperty("durationMinutes")[0].GetString()!
            .ShouldContain("loading vehicles only");
        started.GetProperty("maxStayMinutes").GetInt32().ShouldBe(30);
        (await extended.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "addMinutes")).GetProperty("errors").GetProperty("addMinutes")[0].GetString()!
            .ShouldContain("1/2P Mon–Sun (Australia/Melbourne): at most 30 min");
    }

    [Fact]
    public async Task Quote_ForAZone_SaysWhichRulesTheStayMeetsAndWhyABookingWouldBeRefused()
    {
        var (lotId, zoneId, _) = await LotWithZoneAsync("R10");
        await PutRulesAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { text = TwoHours }, new { text = "LZ 30M Sat 07:30-18:30" });
        using var anonymous = factory.Anonymous();
        var nine = Next(DayOfWeek.Monday, 9);
        string Url(int hours) => $"/api/v1/lots/{lotId}/quote?zoneId={zoneId}&start={Uri.EscapeDataString(nine.ToString("O"))}&end={Uri.EscapeDataString(nine.AddHours(hours).ToString("O"))}";

        var three = await anonymous.GetJsonAsync(Url(3));
        var two = await anonymous.GetJsonAsync(Url(2));

        three.GetProperty("parkingRules").EnumerateArray().Select(r => r.GetString()).ShouldBe(["2P Mon–Fri 07:30–18:30"]);
        three.Str("ruleBreach").ShouldContain("at most 2 h");
        two.TryGetProperty("ruleBreach", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task SearchPage_ResultCard_ShowsTheLotsRules()
    {
        var (lotId, zoneId, _) = await LotWithZoneAsync("R11", "R11-1");
        await PutRulesAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { text = TwoHours });
        using var anonymous = factory.Anonymous();
        var lot = await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}");
        var at = string.Create(CultureInfo.InvariantCulture, $"{lot.GetProperty("latitude").GetDouble()},{lot.GetProperty("longitude").GetDouble()}");

        var html = await Poll.UntilAsync(async () => WebUtility.HtmlDecode(await anonymous.GetStringAsync($"/?q={Uri.EscapeDataString(at)}")),
            h => h.Contains(lotId.ToString(), StringComparison.Ordinal), IngestKit.Eventually, "the lot among the results");

        html.ShouldContain("Parking rules");
        html.ShouldContain("Zone R11 (R11): 2P Mon–Fri 07:30–18:30");
    }

    [Fact]
    public async Task DriversView_CachedOnTheNode_FollowsRuleChanges()
    {
        var (lotId, zoneId, _) = await LotWithZoneAsync("R9", "R9-1");
        var catalog = factory.Services.GetRequiredService<SmartParking.Server.Modules.Lots.LotCatalog>();
        (await catalog.PublicLotsAsync([lotId], CancellationToken.None)).Single().ParkingRules.ShouldBeEmpty();

        await PutRulesAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { text = TwoHours });

        await Poll.UntilAsync(async () => (await catalog.PublicLotsAsync([lotId], CancellationToken.None)).Single(),
            lot => lot.ParkingRules.Count == 1, TimeSpan.FromSeconds(10), "the zone's new rule in the drivers' view");
    }
}
