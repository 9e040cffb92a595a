using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Platform.Time;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Onboarding;

/// <summary>
/// "Onboard a city from its open data", end to end, as the README's onboarding section tells a new operator: an admin
/// creates the tenant (another hemisphere's time zone, another currency) and its operator; the operator describes the
/// city for drivers, imports on-street bays with their sensors from FIWARE data, says the sensors report only on change,
/// posts the zone's restrictions in the city's own notation; the sensors report once; then what drivers and operators
/// see is checked long after any 90-second rule would have blanked it.
/// </summary>
public sealed class SecondCityTests(StoppedClockFactory factory) : IClassFixture<StoppedClockFactory>
{
    private const string Melbourne = "Australia/Melbourne";
    private const int Blocks = 3;
    private const int BaysPerBlock = 8;

    /// <summary>
    /// A generated on-street city in the shape of a real open data set: street blocks (OnStreetParking), bays
    /// (ParkingSpot, normalised NGSI-LD, refDevice) and the bay sensors (Device, controlledAsset), with run-unique ids.
    /// </summary>
    private static (JsonArray Entities, string Run) CityData()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var entities = new JsonArray();
        for (var b = 0; b < Blocks; b++)
        {
            var block = $"urn:ngsi-ld:OnStreetParking:mel-{run}:block-{b}";
            var (lat, lng) = (-37.8136 - b * 0.002, 144.9631 + b * 0.002);
            entities.Add(new JsonObject
            {
                ["id"] = block,
                ["type"] = "OnStreetParking",
                ["name"] = new JsonObject { ["type"] = "Property", ["value"] = $"Collins Street block {b} ({run})" },
                ["location"] = Point(lat, lng),
                ["totalSpotNumber"] = new JsonObject { ["type"] = "Property", ["value"] = BaysPerBlock },
            });
            for (var n = 0; n < BaysPerBlock; n++)
            {
                var spot = $"urn:ngsi-ld:ParkingSpot:mel-{run}:bay-{b}-{n}";
                var device = $"urn:ngsi-ld:Device:mel-{run}:sensor-{b}-{n}";
                entities.Add(new JsonObject
                {
                    ["id"] = spot,
                    ["type"] = "ParkingSpot",
                    ["name"] = new JsonObject { ["type"] = "Property", ["value"] = $"Bay {b}-{n}" },
                    ["category"] = new JsonObject { ["type"] = "Property", ["value"] = new JsonArray("onStreet") },
                    ["location"] = Point(lat + n * 0.00005, lng),
                    ["refParkingSite"] = new JsonObject { ["type"] = "Relationship", ["object"] = block },
                    ["refDevice"] = new JsonObject { ["type"] = "Relationship", ["object"] = device },
                });
                entities.Add(new JsonObject
                {
                    ["id"] = device,
                    ["type"] = "Device",
                    ["serialNumber"] = new JsonObject { ["type"] = "Property", ["value"] = $"MEL-{run}-{b}-{n}" },
                    ["controlledAsset"] = new JsonObject { ["type"] = "Relationship", ["object"] = spot },
                });
            }
        }
        return (entities, run);
    }

    private static JsonObject Point(double lat, double lng) => new()
    {
        ["type"] = "GeoProperty",
        ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lng, lat) },
    };

    [Fact]
    public async Task OnboardACity_FromItsOpenData_DriversAndOperatorsSeeItInItsOwnTimeAndMoney()
    {
        // 1. The admin creates the tenant and its first operator (README: "Your own city").
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);
        var tenant = await (await adminClient.PostAsJsonAsync("/api/v1/manage/tenants",
            new { name = "City of Melbourne " + Guid.NewGuid().ToString("N")[..6], timeZone = Melbourne, currency = "AUD" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var tenantId = tenant.Id();
        var slug = tenant.Str("slug");
        var email = Accounts.NewEmail("melbourne-operator");
        var created = await (await adminClient.PostAsJsonAsync($"/api/v1/manage/tenants/{tenantId}/operators", new { email }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        using var anonymous = factory.Anonymous();
        var operatorAccount = new TestAccount(Guid.Empty, email, created.Str("initialPassword"), "operator", tenantId)
        {
            Tokens = await Accounts.LoginAsync(anonymous, email, created.Str("initialPassword")),
        };
        await Accounts.EnrolTotpAsync(factory, operatorAccount);
        using var op = factory.ClientFor(operatorAccount);

        // 2. The city guide: address countries and the places drivers name.
        await (await op.PutAsJsonAsync($"/api/v1/manage/tenants/{tenantId}/city-guide", new
        {
            countryCodes = new[] { "AU" },
            places = new[] { new { name = "Flinders Street Station", latitude = -37.8183, longitude = 144.9671, aliases = new[] { "Flinders St" } } },
        })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        // 3. The open data: blocks, bays and their sensors in one FIWARE import; the data carries no zone or currency.
        var (entities, run) = CityData();
        var import = await (await op.PostAsync("/api/v1/manage/import/fiware?baseHourlyRate=4.5",
            new StringContent(entities.ToJsonString(), System.Text.Encoding.UTF8, "application/json"))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        import.GetProperty("lotsCreated").GetInt32().ShouldBe(Blocks);
        import.GetProperty("spacesCreated").GetInt32().ShouldBe(Blocks * BaysPerBlock);
        import.GetProperty("sensorsCreated").GetInt32().ShouldBe(Blocks * BaysPerBlock);
        var secrets = import.GetProperty("sensorSecrets").EnumerateArray().ToDictionary(s => s.Str("serial"), s => s.Str("deviceSecret"));
        var lots = (await op.GetJsonAsync("/api/v1/manage/lots?pageSize=500")).Items()
            .Where(l => l.Str("name").Contains(run, StringComparison.Ordinal)).ToList();
        lots.Count.ShouldBe(Blocks);
        lots.ShouldAllBe(l => l.Str("timeZone") == Melbourne && l.Str("currency") == "AUD" && l.Str("kind") == "on_street");
        var lotId = lots.Single(l => l.Str("name").StartsWith("Collins Street block 0", StringComparison.Ordinal)).Id();

        // 4. Bay sensors report on change with a heartbeat every 3 hours; the restriction is "2P" in the day.
        foreach (var lot in lots)
        {
            await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/sensor-policy", new { heartbeatSeconds = 3 * 3600 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
            await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lot.Id()}/parking-rules", new { rules = new[] { new { text = "2P Mon-Sun 07:30-18:30" } } }))
                .ShouldHaveStatusAsync(HttpStatusCode.OK);
        }

        // 5. Each sensor reports once (over HTTP with its own credentials): the first two bays of each block taken.
        foreach (var (serial, secret) in secrets)
        {
            using var device = factory.BasicClient(serial, secret);
            var bay = int.Parse(serial.Split('-')[^1], CultureInfo.InvariantCulture);
            await device.IngestAsync(Batch(Reading(null, bay < 2 ? "occupied" : "free")));
        }
        var availability = await Poll.UntilAsync(() => anonymous.GetJsonAsync($"/api/v1/lots/{lotId}/availability"),
            a => a.GetProperty("spaces").EnumerateArray().All(s => s.Str("status") != "unknown"), Eventually, "every bay of block 0 to have reported");
        availability.GetProperty("spaces").EnumerateArray().Count(s => s.Str("status") == "free").ShouldBe(BaysPerBlock - 2);

        // 6. Four hours of silence, past the 3-hour heartbeat but not yet overdue: change-only sensors keep their last
        //    state, with its age and a lower confidence.
        await factory.AdvanceAsync(TimeSpan.FromHours(4));
        var later = await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}/availability");
        var spaces = later.GetProperty("spaces").EnumerateArray().ToList();
        spaces.Count(s => s.Str("status") == "free").ShouldBe(BaysPerBlock - 2);
        spaces.Count(s => s.Str("status") == "occupied").ShouldBe(2);
        spaces.ShouldAllBe(s => s.GetProperty("ageSeconds").GetInt32() >= 4 * 3600);
        spaces.ShouldAllBe(s => s.GetProperty("confidence").GetDouble() > 0 && s.GetProperty("confidence").GetDouble() < 1);
        var registry = await op.GetJsonAsync($"/api/v1/manage/sensors?lotId={lotId}");
        registry.GetProperty("items").EnumerateArray().ShouldAllBe(s => s.Str("health") != "offline");

        // 7. A driver in the city: the search page speaks its zone and money and names its places.
        var html = await anonymous.GetStringAsync($"/?city={slug}&q=Flinders+St");
        html.ShouldContain($"Arrive (local time, {Melbourne})");
        html.ShouldContain("AUD");
        html.ShouldContain("Flinders Street Station");

        // 8. A 3-hour stay in the 2-hour zone is refused with the rule in local time; 2 hours is booked, paid and receipted in AUD.
        var driver = await factory.RegisterDriverAsync();
        using var driverClient = factory.ClientFor(driver);
        await (await driverClient.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Melbourne);
        var tomorrow10 = Instants.AtLocal(factory.Clock.GetUtcNow().AddDays(1).LocalDay(zone), TimeSpan.FromHours(10), zone);
        var tooLong = await driverClient.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceType = "standard", start = tomorrow10, end = tomorrow10.AddHours(3) });
        var refusal = await tooLong.Content.ReadAsStringAsync();
        ((int)tooLong.StatusCode).ShouldBeOneOf(409, 422);
        refusal.ShouldContain("2P");
        refusal.ShouldContain(Melbourne);
        var booked = await (await driverClient.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceType = "standard", start = tomorrow10, end = tomorrow10.AddHours(2) }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        booked.Str("currency").ShouldBe("AUD");
        (await (await driverClient.PostAsync($"/api/v1/reservations/{booked.Id()}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.OK))
            .GetProperty("reservation").Str("status").ShouldBe("confirmed");
        var receipt = await driverClient.GetJsonAsync($"/api/v1/payments/receipts/{booked.Id()}");
        receipt.Str("timeZone").ShouldBe(Melbourne);
        receipt.Str("currency").ShouldBe("AUD");
        receipt.GetProperty("charges")[0].Str("description").ShouldContain("10:00–12:00 (Australia/Melbourne)");

        // 9. The public lot shows its rule; the ParkAPI feed for the tenant has exactly the city's blocks.
        var publicLot = await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}");
        publicLot.GetRawText().ShouldContain("2P Mon");
        var feed = await anonymous.GetJsonAsync($"/api/v1/feeds/parkapi?tenantId={tenantId}");
        feed.GetProperty("lots").GetArrayLength().ShouldBe(Blocks);

        // 10. Silent past twice the heartbeat: now the sensors are overdue, and the bays say they do not know.
        await factory.AdvanceAsync(TimeSpan.FromHours(3));
        // The sweep writes it to the database; the availability model hears it through the change feed.
        await Poll.UntilAsync(() => anonymous.GetJsonAsync($"/api/v1/lots/{lotId}/availability"),
            a => a.GetProperty("spaces").EnumerateArray().All(s => s.Str("status") == "unknown"), Eventually, "the overdue bays to turn unknown");
    }
}
