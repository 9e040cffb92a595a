using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Reservations;

/// <summary>Pay-as-you-park meter sessions and plate enforcement.</summary>
public sealed class SessionTests(BookingFactory factory) : IClassFixture<BookingFactory>
{
    private static string NewPlate() => "SP" + Random.Shared.Next(10_000, 99_999);

    private static async Task<Guid> StartAsync(HttpClient driver, Guid lotId, string plate, int minutes, Guid? zoneId = null) =>
        (await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, zoneId, plate, durationMinutes = minutes })).ShouldHaveStatusAsync(HttpStatusCode.Created)).Id();

    [Fact]
    public async Task Session_StartExtendStop_ChargedPerStartedMinuteAtTheRateWhenItStarted()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0, rate: 6m);
        var (_, driver) = await factory.DriverAsync();
        var id = await StartAsync(driver, lotId, NewPlate(), 30);

        var extended = await (await driver.PostAsJsonAsync($"/api/v1/sessions/{id}/extension", new { addMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        factory.Clock.Advance(TimeSpan.FromMinutes(42.5));
        var stopped = await (await driver.PostAsync($"/api/v1/sessions/{id}/stop", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (extended.GetProperty("endsAt").GetDateTimeOffset() - extended.GetProperty("startedAt").GetDateTimeOffset()).ShouldBe(TimeSpan.FromMinutes(60));
        stopped.Str("status").ShouldBe("stopped");
        // 43 started minutes at 6.00 an hour.
        stopped.GetProperty("amount").GetDecimal().ShouldBe(4.30m);
        (await factory.PaidAsync(id)).ShouldBe([4.30m]);
    }

    [Fact]
    public async Task Session_PaidTimeRunsOut_ExpiresAndIsChargedToTheEndOfThePaidTime()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0, rate: 3m);
        var (_, driver) = await factory.DriverAsync();
        var id = await StartAsync(driver, lotId, NewPlate(), 20);

        factory.Clock.Advance(TimeSpan.FromMinutes(25));

        var expired = await Poll.UntilAsync(async () => await driver.GetJsonAsync($"/api/v1/sessions/{id}"), s => s.Str("status") == "expired", IngestKit.Eventually, "the session to expire");
        expired.GetProperty("amount").GetDecimal().ShouldBe(1.00m);
        await Poll.UntilAsync(() => factory.PaidAsync(id), p => p.Count == 1, IngestKit.Eventually, "the expiry charge");
        (await factory.PaidAsync(id)).ShouldBe([1.00m]);
    }

    [Fact]
    public async Task Session_BeyondTheZonesMaximumStay_400AndExtensionCappedToo()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0);
        using var op = factory.OperatorClient();
        var zoneId = (await op.CreateZoneAsync(lotId, Payloads.Zone("Z1", "Short stay"))).Id();
        await (await op.PutAsJsonAsync($"/api/v1/manage/zones/{zoneId}/parking-rules", new { rules = new[] { new { text = "1P" } } })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var (_, driver) = await factory.DriverAsync();

        var tooLong = await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, zoneId, plate = NewPlate(), durationMinutes = 90 });
        var id = await StartAsync(driver, lotId, NewPlate(), 45, zoneId);
        var extendTooFar = await driver.PostAsJsonAsync($"/api/v1/sessions/{id}/extension", new { addMinutes = 30 });

        var why = (await tooLong.ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("durationMinutes")[0].GetString()!;
        why.ShouldContain("1P Mon–Sun (Europe/Copenhagen): at most 1 h");
        why.ShouldContain("60 minutes");
        (await extendTooFar.ShouldHaveStatusAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("addMinutes", out _).ShouldBeTrue();
        // Elsewhere in the lot the default applies.
        await StartAsync(driver, lotId, NewPlate(), 90);
        (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = NewPlate(), durationMinutes = 241 })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Session_SamePlateTwiceAtOneLot_409()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0);
        var (_, driver) = await factory.DriverAsync();
        var plate = NewPlate();
        await StartAsync(driver, lotId, plate, 30);

        var second = await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = plate.ToLowerInvariant(), durationMinutes = 30 });

        (await second.ShouldHaveStatusAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("already has a running session");
    }

    [Fact]
    public async Task Session_SameIdempotencyKeyTwice_OneSessionAndOneCharge()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0, rate: 6m);
        var (_, driver) = await factory.DriverAsync();
        var body = new { lotId, plate = NewPlate(), durationMinutes = 30 };
        var key = Guid.NewGuid().ToString();

        var first = await (await ReservationTests.PostWithKeyAsync(driver, "/api/v1/sessions", body, key)).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var again = await (await ReservationTests.PostWithKeyAsync(driver, "/api/v1/sessions", body, key)).ShouldHaveStatusAsync(HttpStatusCode.Created);
        var stopKey = Guid.NewGuid().ToString();
        await (await ReservationTests.PostWithKeyAsync(driver, $"/api/v1/sessions/{first.Id()}/stop", null, stopKey)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await ReservationTests.PostWithKeyAsync(driver, $"/api/v1/sessions/{first.Id()}/stop", null, stopKey)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        again.Id().ShouldBe(first.Id());
        (await driver.GetJsonAsync("/api/v1/sessions")).Items().Count(s => s.Id() == first.Id()).ShouldBe(1);
        (await factory.PaidAsync(first.Id())).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Enforcement_PlateLookup_PaidWhileRunningOrReservedAndOnlyInTheOperatorsTenant()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync();
        var plate = NewPlate();
        var reservedPlate = NewPlate();
        using var op = factory.OperatorClient();
        var (_, otherOperator, _) = await factory.NewTenantWithOperatorAsync();

        var before = await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{plate}");
        var id = await StartAsync(driver, lotId, plate, 30);
        var during = await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{plate.ToLowerInvariant()}");
        var elsewhere = await otherOperator.GetJsonAsync($"/api/v1/manage/enforcement/plates/{plate}");
        await (await driver.PostAsync($"/api/v1/sessions/{id}/stop", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var after = await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{plate}");
        var reservation = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaces[0].SpaceId, factory.Clock.GetUtcNow(), TimeSpan.FromHours(1), reservedPlate));
        var byReservation = await op.GetJsonAsync($"/api/v1/manage/enforcement/plates/{reservedPlate}");

        before.GetProperty("paid").GetBoolean().ShouldBeFalse();
        during.GetProperty("paid").GetBoolean().ShouldBeTrue();
        during.Str("paidBy").ShouldBe("session");
        during.Id().ShouldBe(id);
        elsewhere.GetProperty("paid").GetBoolean().ShouldBeFalse();
        after.GetProperty("paid").GetBoolean().ShouldBeFalse();
        byReservation.Str("paidBy").ShouldBe("reservation");
        byReservation.Id().ShouldBe(reservation);
        (await driver.GetAsync($"/api/v1/manage/enforcement/plates/{plate}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        otherOperator.Dispose();
    }

    [Fact]
    public async Task Session_OfAnotherDriver_404()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0);
        var (_, owner) = await factory.DriverAsync();
        var (_, stranger) = await factory.DriverAsync();
        var id = await StartAsync(owner, lotId, NewPlate(), 30);

        (await stranger.GetAsync($"/api/v1/sessions/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.PostAsync($"/api/v1/sessions/{id}/stop", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
