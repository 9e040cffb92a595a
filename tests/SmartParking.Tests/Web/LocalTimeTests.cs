using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SmartParking.Server.Platform.Time;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Payments;
using SmartParking.Tests.Reservations;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Web;

/// <summary>
/// A lot in another hemisphere's zone: every time a driver reads about it (receipt, quote, a refusal) is its local time
/// with the zone named, never UTC or Copenhagen.
/// </summary>
public sealed class LocalTimeTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private const string Melbourne = "Australia/Melbourne";
    private static readonly TimeZoneInfo MelbourneZone = TimeZoneInfo.FindSystemTimeZoneById(Melbourne);

    /// <summary>A Melbourne lot in AUD with one space, open 07:00–19:00 every day (or around the clock).</summary>
    private async Task<(Guid LotId, TestSensor Space)> MelbourneLotAsync(bool dayOnly)
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = IngestKit.SomewhereNew();
        var lot = Payloads.Lot("Flinders Lane Car Park", lat, lng);
        lot["timeZone"] = Melbourne;
        lot["currency"] = "AUD";
        lot["baseHourlyRate"] = 8m;
        lot["openingHours"] = dayOnly
            ? new JsonArray(new[] { "mon", "tue", "wed", "thu", "fri", "sat", "sun" }.Select(d => (JsonNode)new JsonObject { ["day"] = d, ["opens"] = "07:00", ["closes"] = "19:00" }).ToArray())
            : new JsonArray();
        var lotId = (await op.CreateLotAsync(lot)).Id();
        return (lotId, await op.CreateSensorAsync(lotId, "M1"));
    }

    /// <summary>The next local day in Melbourne at a wall-clock time, at least a day ahead of the server's clock.</summary>
    private DateTimeOffset NextMelbourne(int hour) =>
        Instants.AtLocal(factory.Clock.GetUtcNow().AddDays(2).LocalDay(MelbourneZone), TimeSpan.FromHours(hour), MelbourneZone);

    [Fact]
    public async Task Receipt_ReservationInMelbourne_TimesInMelbourneWithTheZoneNamed()
    {
        var (lotId, space) = await MelbourneLotAsync(dayOnly: false);
        var (_, driver) = await factory.DriverAsync();
        var start = NextMelbourne(10);
        var id = await BookPaidAsync(driver, Booking(lotId, space.SpaceId, start, TimeSpan.FromHours(2)));

        var receipt = await driver.GetJsonAsync($"/api/v1/payments/receipts/{id}");
        var pdf = await (await driver.GetAsync($"/api/v1/payments/receipts/{id}?format=pdf")).Content.ReadAsByteArrayAsync();

        receipt.Str("timeZone").ShouldBe(Melbourne);
        receipt.Str("currency").ShouldBe("AUD");
        var description = receipt.GetProperty("charges")[0].Str("description");
        description.ShouldContain("10:00–12:00 (Australia/Melbourne)");
        description.ShouldContain(LocalTimes.Convert(start, Melbourne).ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture));
        var text = PdfText.Extract(pdf);
        text.ShouldContain("(Australia/Melbourne)");
        text.ShouldContain("10:00");
        text.ShouldNotContain(" UTC");
    }

    [Fact]
    public async Task Book_WhileTheLotIsClosed_RefusalNamesTheClosedHoursInLocalTime()
    {
        var (lotId, space) = await MelbourneLotAsync(dayOnly: true);
        var (_, driver) = await factory.DriverAsync();
        var start = NextMelbourne(17);

        var problem = await (await driver.PostAsJsonAsync("/api/v1/reservations", Booking(lotId, space.SpaceId, start, TimeSpan.FromHours(3))))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "start");

        var message = problem.GetProperty("errors").GetProperty("start")[0].GetString()!;
        message.ShouldContain("19:00–20:00 (Australia/Melbourne)");
    }

    [Fact]
    public async Task Book_ASpaceAlreadyReserved_ConflictNamesTheOtherWindowInLocalTime()
    {
        var (lotId, space) = await MelbourneLotAsync(dayOnly: false);
        var (_, first) = await factory.DriverAsync();
        var (_, second) = await factory.DriverAsync();
        var start = NextMelbourne(9);
        await BookAsync(first, Booking(lotId, space.SpaceId, start, TimeSpan.FromHours(2)));

        var problem = await (await second.PostAsJsonAsync("/api/v1/reservations", Booking(lotId, space.SpaceId, start.AddHours(1), TimeSpan.FromHours(1))))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);

        problem.Str("detail").ShouldEndWith("09:00–11:00 (Australia/Melbourne).");
    }

    [Fact]
    public async Task Quote_PublicQuote_SaysTheZoneTheWindowAndClosedPartsInLocalTime()
    {
        var (lotId, _) = await MelbourneLotAsync(dayOnly: true);
        var start = NextMelbourne(18);
        using var anonymous = factory.CreateClient();

        var quote = await anonymous.GetJsonAsync(
            $"/api/v1/lots/{lotId}/quote?start={Uri.EscapeDataString(start.ToString("O"))}&end={Uri.EscapeDataString(start.AddHours(2).ToString("O"))}");

        quote.Str("timeZone").ShouldBe(Melbourne);
        quote.Str("local").ShouldEndWith("18:00–20:00 (Australia/Melbourne)");
        quote.Str("currency").ShouldBe("AUD");
        quote.GetProperty("open").GetBoolean().ShouldBeFalse();
        quote.GetProperty("closed")[0].Str("local").ShouldEndWith("19:00–20:00 (Australia/Melbourne)");
    }

    [Theory]
    [InlineData("2026-12-05T23:00:00Z", "2026-12-06T01:00:00Z", "Sun 6 Dec 2026 10:00–12:00 (Australia/Melbourne)")]
    [InlineData("2026-12-05T12:00:00Z", "2026-12-05T15:00:00Z", "Sat 5 Dec 2026 23:00 – Sun 6 Dec 2026 02:00 (Australia/Melbourne)")]
    // Melbourne leaves summer time on 5 April 2026 at 03:00 (back to 02:00): 15:30Z is 02:30 standard time.
    [InlineData("2026-04-04T14:30:00Z", "2026-04-04T16:30:00Z", "Sun 5 Apr 2026 01:30–02:30 (Australia/Melbourne)")]
    public void Range_UtcInstants_LocalWallClockWithZone(string from, string until, string expected) =>
        LocalTimes.Range(DateTimeOffset.Parse(from), DateTimeOffset.Parse(until), Melbourne).ShouldBe(expected);
}
