using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Http;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Reservations;

public sealed class ReservationTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private DateTimeOffset InMinutes(int minutes) => factory.Clock.GetUtcNow().AddMinutes(minutes);

    [Fact]
    public async Task Create_SpecificSpace_HeldWithLockedPriceAndHoldExpiry()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(rate: 12m);
        var (_, driver) = await factory.DriverAsync();
        var start = InMinutes(60);

        var booked = await BookAsync(driver, new { lotId, spaceId = spaces[0].SpaceId, start, end = start.AddMinutes(90), plate = "ab 12-345" });

        booked.Str("status").ShouldBe("held");
        booked.GetProperty("price").GetDecimal().ShouldBe(18.00m);
        booked.Str("currency").ShouldBe("DKK");
        booked.Str("plate").ShouldBe("AB12345");
        booked.Str("spaceLabel").ShouldBe("B1");
        booked.GetProperty("holdExpiresAt").GetDateTimeOffset().ShouldBeInRange(factory.Clock.GetUtcNow().AddMinutes(9), factory.Clock.GetUtcNow().AddMinutes(10));
    }

    [Fact]
    public async Task Create_OverlappingWindow_409NamesTheConflictingWindow()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, first) = await factory.DriverAsync();
        var (_, second) = await factory.DriverAsync();
        var start = InMinutes(120).ToWholeMinute();
        await BookAsync(first, Booking(lotId, spaces[0].SpaceId, start, Hour));

        var response = await second.PostAsJsonAsync("/api/v1/reservations", Booking(lotId, spaces[0].SpaceId, start.AddMinutes(30), Hour));

        var problem = await response.ShouldHaveStatusAsync(HttpStatusCode.Conflict);
        problem.GetProperty("conflictingStart").GetDateTimeOffset().ShouldBe(start);
        problem.GetProperty("conflictingEnd").GetDateTimeOffset().ShouldBe(start + Hour);
        // Back to back is not an overlap: windows are [start, end).
        await BookAsync(second, Booking(lotId, spaces[0].SpaceId, start + Hour, Hour));
    }

    [Fact]
    public async Task Create_AnySpaceOfType_TakesEachFreeSpaceOnceThen409()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(spaces: 3);
        var (_, driver) = await factory.DriverAsync();
        var (_, other) = await factory.DriverAsync();
        var start = InMinutes(30);
        var booking = new { lotId, spaceType = "standard", start, end = start + Hour };

        var taken = new HashSet<Guid>();
        for (var i = 0; i < 3; i++) taken.Add((await BookAsync(driver, booking)).GetProperty("spaceId").GetGuid());
        // Another driver: the first has as many unpaid holds as a driver may have.
        var fourth = await other.PostAsJsonAsync("/api/v1/reservations", booking);

        taken.ShouldBe(spaces.Select(s => s.SpaceId), ignoreOrder: true);
        var problem = await fourth.ShouldHaveStatusAsync(HttpStatusCode.Conflict);
        problem.Str("detail").ShouldContain("No standard space is free");
    }

    [Fact]
    public async Task Create_MoreUnpaidHoldsThanAllowed_409UntilOneIsPaidOrCancelled()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(spaces: 5);
        var (_, driver) = await factory.DriverAsync();
        var (_, other) = await factory.DriverAsync();
        var start = InMinutes(60);
        var held = new List<Guid>();
        for (var i = 0; i < 3; i++) held.Add((await BookAsync(driver, Booking(lotId, spaces[i].SpaceId, start, Hour))).Id());

        var fourth = await driver.PostAsJsonAsync("/api/v1/reservations", Booking(lotId, spaces[3].SpaceId, start, Hour));

        var problem = await fourth.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.Str("detail").ShouldContain("unpaid");
        problem.GetProperty("maxUnpaidHolds").GetInt32().ShouldBe(3);
        // The cap is the driver's, not the lot's; and a paid or cancelled hold no longer counts.
        await BookAsync(other, Booking(lotId, spaces[3].SpaceId, start, Hour));
        await (await driver.PostAsync($"/api/v1/reservations/{held[0]}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await BookAsync(driver, Booking(lotId, spaces[4].SpaceId, start, Hour));
        await (await driver.PostAsync($"/api/v1/reservations/{held[1]}/cancellation", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, start + Hour, Hour));
    }

    [Fact]
    public async Task Create_OneDriverTenBookingsAtOnce_OnlyAsManyAsTheCapAreHeld()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(spaces: 10);
        var (account, driver) = await factory.DriverAsync();
        var start = InMinutes(60);

        var responses = await Task.WhenAll(spaces.Select(s => driver.PostAsJsonAsync("/api/v1/reservations", Booking(lotId, s.SpaceId, start, Hour))));

        var answers = string.Join(", ", responses.GroupBy(r => r.StatusCode).Select(g => $"{g.Key}: {g.Count()}"));
        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(3, answers);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(7, answers);
        (await factory.ScalarAsync<long>("select count(*) from reservations where driver_id = $1 and status = 'held'", account.Id)).ShouldBe(3);
    }

    [Theory]
    [InlineData("past", "start")]
    [InlineData("too long", "end")]
    [InlineData("too short", "end")]
    [InlineData("too far ahead", "start")]
    [InlineData("end before start", "end")]
    [InlineData("both space and type", "spaceId")]
    [InlineData("bad plate", "plate")]
    public async Task Create_OutsideTheRules_400NamesTheField(string problem, string field)
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var now = factory.Clock.GetUtcNow();
        object body = problem switch
        {
            "past" => Booking(lotId, spaces[0].SpaceId, now.AddHours(-2), Hour),
            "too long" => Booking(lotId, spaces[0].SpaceId, now.AddHours(1), TimeSpan.FromHours(25)),
            "too short" => Booking(lotId, spaces[0].SpaceId, now.AddHours(1), TimeSpan.FromMinutes(5)),
            "too far ahead" => Booking(lotId, spaces[0].SpaceId, now.AddDays(40), Hour),
            "end before start" => Booking(lotId, spaces[0].SpaceId, now.AddHours(2), -Hour),
            "both space and type" => new { lotId, spaceId = spaces[0].SpaceId, spaceType = "standard", start = now.AddHours(1), end = now.AddHours(2) },
            _ => Booking(lotId, spaces[0].SpaceId, now.AddHours(1), Hour, plate: "<script>"),
        };

        var errors = (await (await driver.PostAsJsonAsync("/api/v1/reservations", body)).ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors");

        errors.TryGetProperty(field, out _).ShouldBeTrue(errors.ToString());
    }

    [Fact]
    public async Task Create_WhenTheLotIsClosed_400()
    {
        using var op = factory.OperatorClient();
        var (lat, lng) = IngestKit.SomewhereNew();
        var lot = Payloads.Lot("Day Garage", lat, lng);
        lot["openingHours"] = new System.Text.Json.Nodes.JsonArray(
            Enumerable.Range(0, 7).Select(d => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            { ["day"] = new[] { "mon", "tue", "wed", "thu", "fri", "sat", "sun" }[d], ["opens"] = "08:00", ["closes"] = "18:00" }).ToArray());
        var lotId = (await op.CreateLotAsync(lot)).Id();
        var space = await op.CreateSensorAsync(lotId);
        var (_, driver) = await factory.DriverAsync();
        var copenhagen = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");
        var tomorrow = TimeZoneInfo.ConvertTime(factory.Clock.GetUtcNow(), copenhagen).Date.AddDays(1);
        DateTimeOffset At(int hour) => new(tomorrow.AddHours(hour), copenhagen.GetUtcOffset(tomorrow.AddHours(hour)));

        var evening = await driver.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceId = space.SpaceId, start = At(17), end = At(19) });
        var day = await driver.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceId = space.SpaceId, start = At(9), end = At(17) });

        (await evening.ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("start")[0].GetString()!.ShouldContain("closed");
        await day.ShouldHaveStatusAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Pay_SandboxCard_ConfirmsAndTheSpaceShowsReservedDuringItsWindow()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(spaces: 2);
        var (_, driver) = await factory.DriverAsync();
        using var anonymous = factory.Anonymous();
        // Sensors say free; the reservation alone makes the space reserved.
        using (var device = factory.DeviceClient(spaces[0]))
            await device.IngestAsync(IngestKit.Batch(IngestKit.Reading(null, "free", factory.Clock.GetUtcNow().AddSeconds(-1))));
        await anonymous.WaitForSpaceStatusAsync(lotId, spaces[0].SpaceId, "free");

        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), Hour));

        await anonymous.WaitForSpaceStatusAsync(lotId, spaces[0].SpaceId, "reserved");
        var lot = await anonymous.GetJsonAsync($"/api/v1/lots/{lotId}/availability");
        lot.GetProperty("lot").GetProperty("counts").GetProperty("reserved").GetInt32().ShouldBe(1);
        (await factory.PaidAsync(id)).ShouldBe([12.00m]);
        // After the window the reservation no longer holds the space.
        factory.Clock.Advance(TimeSpan.FromHours(2));
        await anonymous.WaitForSpaceStatusAsync(lotId, spaces[0].SpaceId, "free");
    }

    [Fact]
    public async Task Pay_DeclinedCard_402AndTheBookingStaysHeld()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_decline");
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();

        var response = await driver.PostAsync($"/api/v1/reservations/{id}/payment", null);

        await response.ShouldHaveStatusAsync(HttpStatusCode.PaymentRequired);
        (await driver.GetJsonAsync($"/api/v1/reservations/{id}")).Str("status").ShouldBe("held");
        (await factory.PaidAsync(id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Pay_AlreadyConfirmed_409WithOneNumericStatusAndTheReservationStatusApart()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour));

        var again = await driver.PostAsync($"/api/v1/reservations/{id}/payment", null);

        var problem = await again.ShouldHaveStatusAsync(HttpStatusCode.Conflict);
        // RFC 9457 reserves "status" for the HTTP status: a second key of that name makes the body ambiguous.
        var statuses = problem.EnumerateObject().Where(p => p.Name == "status").ToList();
        statuses.Count.ShouldBe(1, problem.ToString());
        statuses[0].Value.GetInt32().ShouldBe(409);
        problem.Str("reservationStatus").ShouldBe("confirmed");
    }

    [Fact]
    public async Task Pay_ProviderDecidesLater_202HeldUntilTheSettlementConfirmsIt()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_pending");
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();
        using var admin = factory.ClientFor(await factory.CreateAdminAsync());

        var pending = await (await driver.PostAsync($"/api/v1/reservations/{id}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.Accepted);
        var paymentId = pending.GetProperty("payment").GetProperty("paymentId").GetGuid();
        pending.GetProperty("reservation").Str("status").ShouldBe("held");
        await (await admin.PostAsJsonAsync($"/api/v1/payments/sandbox/{paymentId}/settle", new { state = "succeeded" })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        await WaitForStatusAsync(driver, id, "confirmed");
        (await factory.PaidAsync(id)).ShouldBe([12.00m]);
    }

    [Fact]
    public async Task Create_TwoHundredDriversAtOnceForOneSpace_ExactlyOneWinsAndTheRestGet409()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var drivers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => factory.DriverAsync()));
        var start = InMinutes(240);
        var windows = Enumerable.Range(0, 200).Select(i => Booking(lotId, spaces[0].SpaceId, start.AddMinutes(i % 7), Hour)).ToList();

        var responses = await Task.WhenAll(windows.Select((w, i) => drivers[i % drivers.Length].Client.PostAsJsonAsync("/api/v1/reservations", w)));

        var answers = string.Join(", ", responses.GroupBy(r => r.StatusCode).Select(g => $"{g.Key}: {g.Count()}"));
        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1, answers);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(199, answers);
        (await factory.ScalarAsync<long>("select count(*) from reservations where space_id = $1", spaces[0].SpaceId)).ShouldBe(1);
    }

    [Fact]
    public async Task Hold_NotPaidInTime_ExpiresAndTheSpaceCanBeBookedAgain()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, first) = await factory.DriverAsync();
        var (_, second) = await factory.DriverAsync();
        var booking = Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour);
        var id = (await BookAsync(first, booking)).Id();

        factory.Clock.Advance(TimeSpan.FromMinutes(11));

        await WaitForStatusAsync(first, id, "expired");
        (await (await first.PostAsync($"/api/v1/reservations/{id}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("expired");
        await BookAsync(second, booking);
    }

    [Fact]
    public async Task Sensor_ReportsOccupiedInTheWindow_ChecksInAndFreeAfterwardsCompletes()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), Hour));
        using var device = factory.DeviceClient(spaces[0]);

        await device.IngestAsync(IngestKit.Batch(IngestKit.Reading(null, "occupied", factory.Clock.GetUtcNow())));
        var checkedIn = await WaitForStatusAsync(driver, id, "checked_in");
        await device.IngestAsync(IngestKit.Batch(IngestKit.Reading(null, "free", factory.Clock.GetUtcNow().AddSeconds(1))));
        var completed = await WaitForStatusAsync(driver, id, "completed");

        checkedIn.GetProperty("checkedInAt").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.String);
        completed.GetProperty("checkedOutAt").GetDateTimeOffset().ShouldBeGreaterThan(checkedIn.GetProperty("checkedInAt").GetDateTimeOffset());
        (await factory.PaidAsync(id)).ShouldBe([12.00m]);
    }

    [Fact]
    public async Task NoShow_AfterTheGracePeriod_ReleasedAndTheFeeCharged()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        await factory.SetPolicyAsync(lotId, Policy(noShowGraceMinutes: 10, noShowFee: 7.50m));
        var (_, driver) = await factory.DriverAsync();
        var (_, other) = await factory.DriverAsync();
        var start = factory.Clock.GetUtcNow();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, start, Hour));

        factory.Clock.Advance(TimeSpan.FromMinutes(11));

        await WaitForStatusAsync(driver, id, "no_show");
        await Poll.UntilAsync(() => factory.PaidAsync(id), p => p.Count == 2, IngestKit.Eventually, "the no-show fee");
        (await factory.PaidAsync(id)).ShouldBe([12.00m, 7.50m], ignoreOrder: true);
        // The rest of the window is free for someone else.
        await BookAsync(other, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), TimeSpan.FromMinutes(30)));
    }

    [Fact]
    public async Task Overstay_ChargedPerMinuteInStepsAndTheRestAtCheckOut()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        await factory.SetPolicyAsync(lotId, Policy(overstayPerMinute: 0.5m));
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), Hour));
        (await (await driver.PostAsync($"/api/v1/reservations/{id}/check-in", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("status").ShouldBe("checked_in");

        factory.Clock.Advance(TimeSpan.FromMinutes(60 + 31));
        // Two full 15-minute steps are charged while the car stays.
        var steps = await Poll.UntilAsync(async () => await driver.GetJsonAsync($"/api/v1/reservations/{id}"),
            r => r.GetProperty("overstayMinutesCharged").GetInt32() > 0, IngestKit.Eventually, "the overstay step charge");
        var checkedOut = await (await driver.PostAsync($"/api/v1/reservations/{id}/check-out", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        steps.GetProperty("overstayMinutesCharged").GetInt32().ShouldBe(31);
        checkedOut.Str("status").ShouldBe("completed");
        checkedOut.GetProperty("overstayMinutesCharged").GetInt32().ShouldBe(32);
        (await factory.PaidAsync(id)).ShouldBe([12.00m, 15.50m, 0.50m], ignoreOrder: true);
    }

    [Fact]
    public async Task IdempotencyKey_SameBookingAndPaymentTwice_OneBookingAndOneCharge()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var booking = Booking(lotId, spaces[0].SpaceId, InMinutes(30), Hour);
        var key = Guid.NewGuid().ToString();

        var first = await PostWithKeyAsync(driver, "/api/v1/reservations", booking, key);
        var again = await PostWithKeyAsync(driver, "/api/v1/reservations", booking, key);
        var id = (await first.ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();
        var paidKey = Guid.NewGuid().ToString();
        var paid = await PostWithKeyAsync(driver, $"/api/v1/reservations/{id}/payment", null, paidKey);
        var paidAgain = await PostWithKeyAsync(driver, $"/api/v1/reservations/{id}/payment", null, paidKey);

        (await again.ShouldHaveStatusAsync(HttpStatusCode.Created)).Id().ShouldBe(id);
        again.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        again.Headers.Location.ShouldBe(first.Headers.Location);
        await paid.ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await paidAgain.ShouldHaveStatusAsync(HttpStatusCode.OK)).GetProperty("payment").GetProperty("paymentId").GetGuid()
            .ShouldBe((await paid.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("payment").GetProperty("paymentId").GetGuid());
        (await factory.ScalarAsync<long>("select count(*) from reservations where space_id = $1", spaces[0].SpaceId)).ShouldBe(1);
        (await factory.PaidAsync(id)).ShouldBe([12.00m]);
    }

    [Fact]
    public async Task IdempotencyKey_ReusedForADifferentRequest_400NamesTheHeader()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(spaces: 2);
        var (_, driver) = await factory.DriverAsync();
        var key = Guid.NewGuid().ToString();
        await (await PostWithKeyAsync(driver, "/api/v1/reservations", Booking(lotId, spaces[0].SpaceId, InMinutes(30), Hour), key)).ShouldHaveStatusAsync(HttpStatusCode.Created);

        var other = await PostWithKeyAsync(driver, "/api/v1/reservations", Booking(lotId, spaces[1].SpaceId, InMinutes(30), Hour), key);

        (await other.ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("Idempotency-Key", out _).ShouldBeTrue();
        (await factory.ScalarAsync<long>("select count(*) from reservations where space_id = $1", spaces[1].SpaceId)).ShouldBe(0);
    }

    [Fact]
    public async Task IdempotencyKey_FirstRequestStillRunning_409KeepsItsRetryAfter()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (account, driver) = await factory.DriverAsync();
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(30), Hour))).Id();
        var key = Guid.NewGuid().ToString();
        await ClaimWithoutAnswerAsync(account.Id, key, $"/api/v1/reservations/{id}/payment");

        var retry = await PostWithKeyAsync(driver, $"/api/v1/reservations/{id}/payment", null, key);

        await retry.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        retry.Headers.RetryAfter.ShouldNotBeNull("a 409 for a request still running tells the client when to retry");
        retry.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
    }

    [Fact]
    public async Task IdempotencyKey_ClaimLeftByACrashedRequest_RunsAgainOnceItsLeaseHasRunOut()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (account, driver) = await factory.DriverAsync();
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(30), Hour))).Id();
        var key = Guid.NewGuid().ToString();
        var lease = factory.Services.GetRequiredService<IOptions<HttpOptions>>().Value.IdempotencyLease;
        await ClaimWithoutAnswerAsync(account.Id, key, $"/api/v1/reservations/{id}/payment");

        // Within the lease the claim may still be a request that is running: the retry waits.
        factory.Clock.Advance(lease - TimeSpan.FromSeconds(1));
        await (await PostWithKeyAsync(driver, $"/api/v1/reservations/{id}/payment", null, key)).ShouldBeProblemAsync(HttpStatusCode.Conflict);

        // After it, nobody is answering for the key: the same request runs again, once.
        factory.Clock.Advance(TimeSpan.FromSeconds(2));
        var paid = await PostWithKeyAsync(driver, $"/api/v1/reservations/{id}/payment", null, key);
        var again = await PostWithKeyAsync(driver, $"/api/v1/reservations/{id}/payment", null, key);

        (await paid.ShouldHaveStatusAsync(HttpStatusCode.OK)).GetProperty("reservation").Str("status").ShouldBe("confirmed");
        await again.ShouldHaveStatusAsync(HttpStatusCode.OK);
        again.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await factory.PaidAsync(id)).ShouldBe([12.00m]);
    }

    /// <summary>
    /// The row a process leaves when it dies between claiming an Idempotency-Key and storing the answer: the request's
    /// hash (method, path and query, then the body: none here), no status, claimed now.
    /// </summary>
    private async Task ClaimWithoutAnswerAsync(Guid userId, string key, string path)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"POST {path}\n"));
        await factory.ExecuteAsync("insert into idempotent_requests (user_id, key, request_hash, created_at) values ($1, $2, $3, $4)",
            userId, key, hash, factory.Clock.GetUtcNow());
    }

    [Fact]
    public async Task Cancel_BeforeTheStart_FullRefundAndTheSpaceIsFree()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var booking = Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour);
        var id = await BookPaidAsync(driver, booking);

        var cancelled = await (await driver.PostAsync($"/api/v1/reservations/{id}/cancellation", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        cancelled.Str("status").ShouldBe("cancelled");
        (await factory.ScalarAsync<decimal>("select coalesce(sum(amount), 0) from refunds where payment_id in (select id from payments where reference_id = $1)", id)).ShouldBe(12.00m);
        await BookAsync(driver, booking);
    }

    [Fact]
    public async Task Cancel_AfterTheStart_KeepsTheLotsLateCancellationShare()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        await factory.SetPolicyAsync(lotId, Policy(lateCancellationPercent: 25));
        var (_, driver) = await factory.DriverAsync();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), Hour));
        factory.Clock.Advance(TimeSpan.FromMinutes(5));

        await (await driver.PostAsync($"/api/v1/reservations/{id}/cancellation", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.ScalarAsync<decimal>("select coalesce(sum(amount), 0) from refunds where payment_id in (select id from payments where reference_id = $1)", id)).ShouldBe(9.00m);
    }

    [Fact]
    public async Task Extend_WhenTheSpaceIsFreeAfter_ChargesTheExtraTimeAndWhenNot409()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var (_, other) = await factory.DriverAsync();
        var start = InMinutes(60).ToWholeMinute();
        var id = await BookPaidAsync(driver, Booking(lotId, spaces[0].SpaceId, start, Hour));
        await BookAsync(other, Booking(lotId, spaces[0].SpaceId, start + 2 * Hour, Hour));

        var extended = await (await driver.PostAsJsonAsync($"/api/v1/reservations/{id}/extension", new { end = start + 2 * Hour })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var blocked = await driver.PostAsJsonAsync($"/api/v1/reservations/{id}/extension", new { end = start + 3 * Hour });

        extended.GetProperty("end").GetDateTimeOffset().ShouldBe(start + 2 * Hour);
        extended.GetProperty("price").GetDecimal().ShouldBe(24.00m);
        (await blocked.ShouldHaveStatusAsync(HttpStatusCode.Conflict)).GetProperty("conflictingStart").GetDateTimeOffset().ShouldBe(start + 2 * Hour);
        (await factory.PaidAsync(id)).ShouldBe([12.00m, 12.00m]);
    }

    [Fact]
    public async Task Reservation_OfAnotherDriver_404AndNotListed()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, owner) = await factory.DriverAsync();
        var (_, stranger) = await factory.DriverAsync();
        var id = (await BookAsync(owner, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();

        (await stranger.GetAsync($"/api/v1/reservations/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.PostAsync($"/api/v1/reservations/{id}/cancellation", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.GetJsonAsync("/api/v1/reservations")).Items().ShouldBeEmpty();
        (await owner.GetJsonAsync("/api/v1/reservations")).Items().Select(r => r.Id()).ShouldBe([id]);
    }

    [Fact]
    public async Task OperatorList_OnlyTheirTenantsReservations()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour, plate: "XY 99 123"))).Id();
        var (_, otherOperator, _) = await factory.NewTenantWithOperatorAsync();
        using var op = factory.OperatorClient();

        (await op.GetJsonAsync($"/api/v1/manage/reservations?lotId={lotId}")).Items().Select(r => r.Id()).ShouldBe([id]);
        (await op.GetJsonAsync("/api/v1/manage/reservations?plate=xy99123")).Items().Select(r => r.Id()).ShouldContain(id);
        (await otherOperator.GetJsonAsync($"/api/v1/manage/reservations?lotId={lotId}")).Items().ShouldBeEmpty();
        (await otherOperator.GetAsync($"/api/v1/manage/lots/{lotId}/reservation-policy")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await driver.GetAsync("/api/v1/manage/reservations")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        otherOperator.Dispose();
    }

    internal static object Policy(int noShowGraceMinutes = 15, decimal noShowFee = 0m, decimal overstayPerMinute = 0.3m, int lateCancellationPercent = 50) => new
    {
        reservable = true, minLeadMinutes = 0, maxLeadDays = 30, minDurationMinutes = 15, maxDurationMinutes = 1440,
        lateCancellationPercent, noShowGraceMinutes, noShowFee, overstayPerMinute,
    };

    internal static async Task<HttpResponseMessage> PostWithKeyAsync(HttpClient client, string url, object? body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }
}

internal static class Minutes
{
    public static DateTimeOffset ToWholeMinute(this DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
}
