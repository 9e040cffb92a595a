using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Chat;

/// <summary>A signed-in driver's own bookings and parking through the REST channel: the same services as the app, changes only after a yes.</summary>
public sealed class DriverChatTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static async Task<string> SayAsync(HttpClient driver, string message)
    {
        var body = await (await driver.PostAsJsonAsync("/webhooks/rest/webhook", new { sender = "widget", message })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        return string.Join("\n", body.EnumerateArray().Select(r => r.Str("text")));
    }

    private async Task<(HttpClient Driver, Guid LotId, Guid SpaceId)> DriverWithLotAsync()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(spaces: 2);
        var (_, client) = await factory.DriverAsync();
        return (client, lotId, spaces[0].SpaceId);
    }

    private static async Task<Guid> StartSessionAsync(HttpClient driver, Guid lotId, string plate) =>
        (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate, durationMinutes = 60 })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();

    [Fact]
    public async Task MyBookings_RunningSessionAndUpcomingBooking_Listed()
    {
        var (driver, lotId, spaceId) = await DriverWithLotAsync();
        await StartSessionAsync(driver, lotId, "CH 11 111");
        await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaceId, factory.Clock.GetUtcNow().AddDays(1), TimeSpan.FromHours(2)));

        var reply = await SayAsync(driver, "what have I booked?");

        reply.ShouldContain("Parking now at Booking Lot (CH11111)");
        reply.ShouldContain("Booked: Booking Lot, space B1");
    }

    [Fact]
    public async Task StopSession_AskedThenYes_StoppedThroughTheService()
    {
        var (driver, lotId, _) = await DriverWithLotAsync();
        var session = await StartSessionAsync(driver, lotId, "CH 22 222");

        var question = await SayAsync(driver, "stop my parking please");
        var done = await SayAsync(driver, "/affirm");

        question.ShouldContain("Stop your parking at Booking Lot");
        done.ShouldStartWith("Stopped.");
        (await (await driver.GetAsync($"/api/v1/sessions/{session}")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("status").ShouldNotBe("active");
    }

    [Fact]
    public async Task CancelReservation_AskedThenNo_BookingKept()
    {
        var (driver, lotId, spaceId) = await DriverWithLotAsync();
        var booking = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaceId, factory.Clock.GetUtcNow().AddDays(2), TimeSpan.FromHours(1)));

        (await SayAsync(driver, "cancel my reservation")).ShouldContain("Cancel your booking at Booking Lot");
        await SayAsync(driver, "no");

        (await (await driver.GetAsync($"/api/v1/reservations/{booking}")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("status").ShouldBe("confirmed");
    }

    [Fact]
    public async Task CancelReservation_AskedThenYes_Cancelled()
    {
        var (driver, lotId, spaceId) = await DriverWithLotAsync();
        var booking = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaceId, factory.Clock.GetUtcNow().AddDays(3), TimeSpan.FromHours(1)));

        await SayAsync(driver, "I want to cancel my booking");
        (await SayAsync(driver, "yes")).ShouldContain("is cancelled");

        (await (await driver.GetAsync($"/api/v1/reservations/{booking}")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("status").ShouldBe("cancelled");
    }

    [Fact]
    public async Task CancelReservation_AnotherDriversBookingId_NotFoundAndUntouched()
    {
        var (owner, lotId, spaceId) = await DriverWithLotAsync();
        var theirs = await BookingFactory.BookPaidAsync(owner, BookingFactory.Booking(lotId, spaceId, factory.Clock.GetUtcNow().AddDays(4), TimeSpan.FromHours(1)));
        var (_, intruder) = await factory.DriverAsync();

        var reply = await SayAsync(intruder, $"/cancel_reservation{{\"reservation\": \"{theirs}\"}}");
        await SayAsync(intruder, "yes");

        reply.ShouldNotContain("Booking Lot");
        (await (await owner.GetAsync($"/api/v1/reservations/{theirs}")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("status").ShouldBe("confirmed");
    }

    [Fact]
    public async Task Extend_DurationGiven_AskedThenExtended()
    {
        var (driver, lotId, _) = await DriverWithLotAsync();
        var session = await StartSessionAsync(driver, lotId, "CH 33 333");
        var before = (await (await driver.GetAsync($"/api/v1/sessions/{session}")).ShouldHaveStatusAsync(HttpStatusCode.OK)).GetProperty("endsAt").GetDateTimeOffset();

        (await SayAsync(driver, "can I get 30 more minutes on my parking")).ShouldContain("Add 30 min");
        (await SayAsync(driver, "yes")).ShouldStartWith("Done");

        var after = (await (await driver.GetAsync($"/api/v1/sessions/{session}")).ShouldHaveStatusAsync(HttpStatusCode.OK)).GetProperty("endsAt").GetDateTimeOffset();
        (after - before).ShouldBe(TimeSpan.FromMinutes(30));
    }

    /// <summary>A local time at the lot (Copenhagen), <paramref name="days"/> from today.</summary>
    private DateTimeOffset LocalAt(int days, int hour)
    {
        var day = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), Copenhagen).Date.AddDays(days).AddHours(hour);
        return new DateTimeOffset(day, Copenhagen.GetUtcOffset(day));
    }

    private static async Task<DateTimeOffset> EndAsync(HttpClient driver, string path, string property) =>
        (await (await driver.GetAsync(path)).ShouldHaveStatusAsync(HttpStatusCode.OK)).GetProperty(property).GetDateTimeOffset();

    [Theory]
    [InlineData("extend my booking until 15:00", "to {0} 15:00 for 48.00 DKK more", "yes", "now ends at 15:00. Paid 48.00 DKK more.")]
    [InlineData("extend my booking till 3pm", "to {0} 15:00 for 48.00 DKK more", "yes", "now ends at 15:00. Paid 48.00 DKK more.")]
    [InlineData("forlæng min booking til kl. 15", "15:00 for 48.00 DKK mere", "ja", "slutter nu kl. 15:00. Betalt 48.00 DKK mere.")]
    public async Task Extend_BookingUntilAClockTime_EndsThenOnTheBookingsOwnDay(string message, string quoted, string yes, string done)
    {
        // "until 15:00" is a span from now; the booking, two days ahead 10:00–11:00, is moved to 15:00 on its day, not by the span.
        var (driver, lotId, spaceId) = await DriverWithLotAsync();
        var booking = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaceId, LocalAt(2, 10), TimeSpan.FromHours(1)));

        (await SayAsync(driver, message)).ShouldContain(string.Format(System.Globalization.CultureInfo.InvariantCulture, quoted, DayAhead(2)));
        (await SayAsync(driver, yes)).ShouldEndWith(done);

        (await EndAsync(driver, $"/api/v1/reservations/{booking}", "end")).ShouldBe(LocalAt(2, 15));
    }

    [Fact]
    public async Task Extend_ParkingUntilAClockTime_ChosenByItsButton_EndsThen()
    {
        var (driver, lotId, spaceId) = await DriverWithLotAsync();
        var session = await StartSessionAsync(driver, lotId, "CH 33 337");
        await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaceId, LocalAt(2, 10), TimeSpan.FromHours(1)));
        var endsAt = await EndAsync(driver, $"/api/v1/sessions/{session}", "endsAt");
        // A whole hour two to three hours after the parking's end, said as a clock time.
        var local = TimeZoneInfo.ConvertTime(endsAt, Copenhagen);
        var target = local.AddHours(3).AddMinutes(-local.Minute).AddSeconds(-local.Second).AddMilliseconds(-local.Millisecond);
        var minutes = (int)Math.Ceiling((target - endsAt).TotalMinutes);

        var body = await (await driver.PostAsJsonAsync("/webhooks/rest/webhook", new { sender = "widget", message = $"extend my parking until {target:HH}:00" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        body[0].Str("text").ShouldContain("Which one?");
        var parking = body[0].GetProperty("buttons").EnumerateArray().Select(b => b.Str("payload")).Single(p => p.Contains(session.ToString()));

        (await SayAsync(driver, parking)).ShouldContain($"Add {minutes} min to your parking at Booking Lot?");
        (await SayAsync(driver, "yes")).ShouldBe($"Done: you can now park until {target:HH}:00.");

        (await EndAsync(driver, $"/api/v1/sessions/{session}", "endsAt") - target).ShouldBeInRange(TimeSpan.Zero, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Reserve_PlaceTimeAndDuration_QuotedThenBookedAndPaidAfterYes()
    {
        var (driver, lotId, _) = await DriverWithLotAsync();

        var question = await SayAsync(driver, $"/reserve{{\"lot\": \"{lotId}\"}}");
        var quote = await SayAsync(driver, "tomorrow at 10 for 2 hours");
        var done = await SayAsync(driver, "yes please");

        question.ShouldContain("When do you need the space?");
        quote.ShouldContain("Reserve a space at Booking Lot");
        quote.ShouldContain("10:00–12:00");
        done.ShouldStartWith("Booked: space B");
        var mine = (await (await driver.GetAsync("/api/v1/reservations")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Items();
        mine.ShouldContain(r => r.Str("status") == "confirmed" && r.GetProperty("lotId").GetGuid() == lotId);
    }

    [Fact]
    public async Task Reserve_DeclinedCard_NotBookedAndSpaceNotHeld()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 1);
        var (_, driver) = await factory.DriverAsync("sandbox_decline");

        await SayAsync(driver, $"/reserve{{\"lot\": \"{lotId}\"}}");
        await SayAsync(driver, "tomorrow at 10 for 1 hour");
        var done = await SayAsync(driver, "yes");

        done.ShouldStartWith("That didn't work");
        var mine = (await (await driver.GetAsync("/api/v1/reservations")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Items();
        mine.ShouldAllBe(r => r.Str("status") == "cancelled");
    }

    [Fact]
    public async Task StartSession_AsksForPlateAndDuration_StartsAfterYes()
    {
        var (driver, lotId, _) = await DriverWithLotAsync();

        (await SayAsync(driver, $"/start_session{{\"lot\": \"{lotId}\"}}")).ShouldContain("Which number plate?");
        (await SayAsync(driver, "XY 98 765")).ShouldContain("For how long?");
        (await SayAsync(driver, "90 minutes")).ShouldContain("Start parking at Booking Lot for XY98765, 1 h 30 min?");
        (await SayAsync(driver, "yes")).ShouldStartWith("Parking started at Booking Lot for XY98765");

        var running = (await (await driver.GetAsync("/api/v1/sessions?active=true")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Items();
        running.ShouldHaveSingleItem().Str("plate").ShouldBe("XY98765");
    }

    [Fact]
    public async Task ReportIssue_AtALot_OpenAlertOnTheOperatorsDashboard()
    {
        var (driver, _, _) = await DriverWithLotAsync();
        var problem = "barrier " + Guid.NewGuid().ToString("N")[..6];

        var reply = await SayAsync(driver, $"the {problem} won't open at Booking Lot");

        reply.ShouldContain("passed it to the operator of Booking Lot");
        using var op = factory.OperatorClient();
        var alerts = (await (await op.GetAsync("/api/v1/manage/alerts?kind=driver_report")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Items();
        var alert = alerts.Where(a => a.Str("title").Contains(problem)).ShouldHaveSingleItem();
        alert.Str("status").ShouldBe("open");
    }

    [Fact]
    public async Task Billing_LatestPaymentsWithRefundsAndReceiptLinks_OnlyTheDriversOwn()
    {
        var (driver, lotId, spaceId) = await DriverWithLotAsync();
        var kept = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaceId, factory.Clock.GetUtcNow().AddDays(5), TimeSpan.FromHours(2)));
        var cancelled = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaceId, factory.Clock.GetUtcNow().AddDays(6), TimeSpan.FromHours(1)));
        await (await driver.PostAsync($"/api/v1/reservations/{cancelled}/cancellation", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var (_, other) = await factory.DriverAsync();

        var reply = await SayAsync(driver, "I need a receipt for what I paid");
        var theirs = await SayAsync(other, "I need a receipt for what I paid");

        reply.ShouldContain("Your latest payments:");
        reply.ShouldContain($"/me/receipts/{kept}");
        reply.ShouldContain($"/me/receipts/{cancelled}");
        reply.ShouldContain("24.00 DKK paid");
        reply.ShouldContain("refunded");
        theirs.ShouldContain("You haven't paid for anything yet.");
    }

    [Fact]
    public async Task Billing_NotSignedIn_AskedToSignInFirst()
    {
        var reply = await (await factory.CreateClient().PostAsJsonAsync("/webhooks/rest/webhook", new { sender = "anon-billing", message = "show me my invoices" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);

        reply[0].Str("text").ShouldContain("once I know who you are");
    }

    [Fact]
    public async Task Conversation_SilentPastTheTimeout_StartsAfresh()
    {
        await factory.OpenLotAsync();
        var anonymous = factory.CreateClient();
        var sender = "timeout-" + Guid.NewGuid().ToString("N");
        static async Task<string> Say(HttpClient client, string sender, string message) =>
            string.Join("\n", (await (await client.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message })).ShouldHaveStatusAsync(HttpStatusCode.OK))
                .EnumerateArray().Select(r => r.Str("text")));
        (await Say(anonymous, sender, "find me parking")).ShouldContain("Where would you like to park?");

        factory.Clock.Advance(TimeSpan.FromMinutes(31));
        var after = await Say(anonymous, sender, "Booking Lot");

        // The question was forgotten: a bare lot name is no longer taken as the answer to it.
        after.ShouldNotContain("Booking Lot:");
    }
    /// <summary>
    /// A lot of its own name ("Kbxwrt Station", which the tagger takes for a place), open around the clock at 12 DKK/h, with four
    /// weeks of hourly occupancy about <paramref name="occupancy"/> (rippling: a flat line is read as a stuck feed).
    /// </summary>
    private async Task<(Guid LotId, string Name)> LotWithHistoryAsync(double latitude, double longitude, int spaces, double occupancy,
        System.Text.Json.Nodes.JsonArray? openingHours = null)
    {
        var name = char.ToUpperInvariant((char)('b' + Random.Shared.Next(20))) + new string(Enumerable.Range(0, 5).Select(_ => "bcdfghjklmnpqrstvwxz"[Random.Shared.Next(20)]).ToArray()) + " Station";
        using var op = factory.OperatorClient();
        var lot = Payloads.Lot(name, latitude, longitude);
        lot["openingHours"] = openingHours ?? [];
        lot["baseHourlyRate"] = 12m;
        var lotId = (await op.CreateLotAsync(lot)).Id();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = 1.0, offPeakMultiplier = 1.0 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        for (var i = 0; i < spaces; i++) await op.CreateSensorAsync(lotId, $"H{i + 1}");
        await factory.ExecuteAsync("""
            insert into lot_occupancy_hourly (tenant_id, lot_id, hour, occupancy, peak, capacity, samples, source)
            select $1, $2, h, o, o, $4, 12, 'live' from (select h, least(1, $3 + 0.02 * sin(extract(epoch from h) / 3600 * 1.7)) as o
            from generate_series(date_trunc('hour', $5::timestamptz) - interval '28 days', date_trunc('hour', $5::timestamptz) - interval '1 hour', interval '1 hour') as h) s
            """, factory.TenantId, lotId, occupancy, spaces, factory.Clock.GetUtcNow());
        var model = factory.Services.GetRequiredService<SmartParking.Server.Modules.Availability.AvailabilityModel>();
        await Poll.UntilAsync(() => Task.FromResult(model.Lot(lotId) is not null), known => known, IngestKit.Eventually, $"lot {name} in the availability model");
        return (lotId, name);
    }

    private static readonly TimeZoneInfo Copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");

    private string DayAhead(int days) =>
        TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), Copenhagen).AddDays(days).ToString("ddd d MMM", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task FindParking_TomorrowAt10_UsualOccupancyAndThePriceThen_OpenOnesWithSpaceFirst()
    {
        var (lat, lng) = IngestKit.SomewhereNew();
        var (_, roomy) = await LotWithHistoryAsync(lat + 0.001, lng, spaces: 4, occupancy: 0.5);
        var (_, full) = await LotWithHistoryAsync(lat, lng, spaces: 4, occupancy: 0.975);
        var dayAfter = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), Copenhagen).AddDays(2).DayOfWeek.ToString()[..3].ToLowerInvariant();
        var (_, closed) = await LotWithHistoryAsync(lat, lng + 0.0005, spaces: 4, occupancy: 0.5,
            [new System.Text.Json.Nodes.JsonObject { ["day"] = dayAfter, ["opens"] = "07:00", ["closes"] = "22:00" }]);

        var later = await SayAsync(factory.CreateClient(), $"find me parking near {full} tomorrow at 10");
        var day = await SayAsync(factory.CreateClient(), $"is there parking near {full} tomorrow?");

        later.ShouldStartWith($"Parking near {full} on {DayAhead(1)} at 10:00:\n1. {roomy}: usually about 2 free, ");
        later.ShouldContain($"2. {full}: usually full, 0 m, 12.00 DKK for 1 h\n3. {closed}: usually about 2 free, ");
        later.ShouldEndWith(" m, closed then");
        later.ShouldNotContain("now");
        day.ShouldStartWith($"Parking near {full} on {DayAhead(1)}:\n1. {full}: usually full, 0 m, 12.00 DKK/h now\n2. {roomy}: usually has space, ");
        day.ShouldContain($"\n3. {closed}: usually has space, ");
        day.ShouldEndWith(" m, closed that day");
    }

    [Fact]
    public async Task Reserve_ADayWithoutATime_AsksTheTime_AndAClockAloneIsOnThatDay()
    {
        var (driver, lotId, _) = await DriverWithLotAsync();
        var weekday = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), Copenhagen).AddDays(3).DayOfWeek;

        var question = await SayAsync(driver, $"/reserve{{\"lot\": \"{lotId}\"}}");
        var when = await SayAsync(driver, $"on {weekday} for 2 hours");
        var quote = await SayAsync(driver, "at 10");

        question.ShouldContain("When do you need the space?");
        when.ShouldBe($"What time on {DayAhead(3)}? For example “at 9”.");
        quote.ShouldContain($"Reserve a space at Booking Lot, {DayAhead(3)} 10:00–12:00, for 24.00 DKK");
    }
    [Fact]
    public async Task StartSession_ForATimeLater_NotStarted_OfferedTheBookingWithThatTimeKept_OrToStartNow()
    {
        var (lotId, name) = await LotWithHistoryAsync(IngestKit.SomewhereNew().Lat, IngestKit.SomewhereNew().Lng, spaces: 2, occupancy: 0.5);
        var (_, driver) = await factory.DriverAsync();

        await SayAsync(driver, $"find me parking near {name} tomorrow at 9");
        var start = await (await driver.PostAsJsonAsync("/webhooks/rest/webhook", new { sender = "widget", message = "start parking there with XY 12 345 for 2 hours" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        var booking = await SayAsync(driver, $"/reserve{{\"lot\": \"{lotId}\"}}");
        var (_, another) = await factory.DriverAsync();
        await SayAsync(another, $"find me parking near {name} tomorrow at 9");
        await SayAsync(another, "start parking there with XY 12 345 for 2 hours");
        var now = await SayAsync(another, "start parking now");

        start[0].Str("text").ShouldBe($"Pay-as-you-park starts when you park, so I can't start it for {DayAhead(1)} 09:00. To have a space at {name} then, reserve one; to start now, say “start parking now”.");
        start[0].GetProperty("buttons")[0].Str("payload").ShouldBe($"/reserve{{\"lot\": \"{lotId}\"}}");
        booking.ShouldStartWith($"Reserve a space at {name}, {DayAhead(1)} 09:00–11:00, for 24.00 DKK");
        now.ShouldBe($"Start parking at {name} for XY12345, 2 h? You pay for the time you use.");
        (await (await driver.GetAsync("/api/v1/sessions?active=true")).ShouldHaveStatusAsync(HttpStatusCode.OK)).Items().ShouldBeEmpty();
    }
    [Fact]
    public async Task PickFromTheListJustShown_BooksThatLot_InEitherLanguage_LaterOrPastTheListNot()
    {
        var (lat, lng) = IngestKit.SomewhereNew();
        var (_, first) = await LotWithHistoryAsync(lat, lng, spaces: 2, occupancy: 0.5);
        var (_, second) = await LotWithHistoryAsync(lat + 0.001, lng, spaces: 2, occupancy: 0.5);
        var (_, driver) = await factory.DriverAsync();

        (await SayAsync(driver, $"find me parking near {first} tomorrow at 10 for 1 hour")).ShouldContain($"\n2. {second}: ");
        var english = await SayAsync(driver, "ok I'll take the second one");
        await SayAsync(driver, "no");
        (await SayAsync(driver, $"find parkering ved {first} i morgen kl. 10 i 1 time")).ShouldContain($"\n2. {second}: ");
        var danish = await SayAsync(driver, "nummer 2");
        await SayAsync(driver, "nej");
        await SayAsync(driver, $"find me parking near {first}");
        var pastTheList = await SayAsync(driver, "number 7");
        await SayAsync(driver, $"find me parking near {first}");
        await SayAsync(driver, "thanks");
        var notRightAfter = await SayAsync(driver, "the second one");

        english.ShouldStartWith($"Reserve a space at {second}, {DayAhead(1)} 10:00–11:00, for 12.00 DKK");
        danish.ShouldStartWith($"Reserver en plads ved {second}, ");
        pastTheList.ShouldNotContain("Reserve");
        notRightAfter.ShouldNotContain("Reserve");
    }
}
