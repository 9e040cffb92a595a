using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Lots;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Reservations;

/// <summary>Windows at the edge of time are refused by the cheapest check first, and never reach date arithmetic that overflows.</summary>
public sealed class FarFutureWindowTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static readonly DateTimeOffset EndOfTime = new(9999, 12, 31, 23, 59, 59, TimeSpan.Zero);

    private static OpeningHours Day(string day, string opens = "07:00", string closes = "22:00") => new(day, opens, closes);

    private static LotFacts Lot(params OpeningHours[] hours) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "Lot", "off_street", "Europe/Copenhagen", hours, 10m, "DKK", 56, 10);

    [Fact]
    public void IsOpenThroughout_WindowToTheEndOfTime_AnswersWithoutOverflowing()
    {
        var now = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        var allWeek = LotsVocabulary.Days.Select(d => Day(d, "00:00", "24:00")).ToArray();

        Lot(allWeek).IsOpenThroughout(now, EndOfTime).ShouldBeTrue();
        Lot(Day("mon")).IsOpenThroughout(now, EndOfTime).ShouldBeFalse();
        Lot(allWeek).IsOpenThroughout(DateTimeOffset.MinValue, now).ShouldBeTrue();
    }

    [Fact]
    public async Task Create_EndAtTheEndOfTime_400OnTheDurationNotTheOpeningHours()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var start = factory.Clock.GetUtcNow().AddHours(1);

        var response = await driver.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceId = spaces[0].SpaceId, start, end = EndOfTime });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "end");
        problem.GetProperty("errors").TryGetProperty("start", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Create_WindowOnTheLastDayOfTime_400NamingStart()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();

        var response = await driver.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceId = spaces[0].SpaceId, start = EndOfTime.AddHours(-2), end = EndOfTime });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "start");
    }

    [Fact]
    public async Task Create_YearLongWindowAtALotWithOpeningHours_400OnTheDuration()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = IngestKit.SomewhereNew();
        var lot = Payloads.Lot("Hours Lot", lat, lng);
        lot["openingHours"] = new JsonArray(LotsVocabulary.Days.Select(d => (JsonNode)new JsonObject { ["day"] = d, ["opens"] = "06:00", ["closes"] = "23:00" }).ToArray());
        var lotId = (await op.CreateLotAsync(lot)).Id();
        var space = await op.CreateSensorAsync(lotId);
        var (_, driver) = await factory.DriverAsync();
        var start = factory.Clock.GetUtcNow().AddDays(1);

        var response = await driver.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceId = space.SpaceId, start, end = start.AddYears(1) });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "end");
        problem.GetProperty("errors").TryGetProperty("start", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Extend_ToTheEndOfTime_400NamingEnd()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow().AddHours(1), TimeSpan.FromHours(1)));

        var response = await driver.PostAsJsonAsync($"/api/v1/reservations/{id}/extension", new { end = EndOfTime });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "end");
    }

    [Theory]
    [InlineData("9999-12-31T22:00:00Z", "9999-12-31T23:59:59Z")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T02:00:00Z")]
    [InlineData("9999-12-31T22:00:00%2B14:00", "9999-12-31T23:59:59-12:00")]
    public async Task Quote_WindowAtTheEdgeOfTime_400(string start, string end)
    {
        var (lotId, _) = await factory.OpenLotAsync();
        using var anonymous = factory.Anonymous();

        var response = await anonymous.GetAsync($"/api/v1/lots/{lotId}/quote?start={start}&end={end}");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }
}
