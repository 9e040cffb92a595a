using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Observability;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Operations;

/// <summary>Bookings, payments and sessions on a server whose business gauges are recounted five times a second.</summary>
public sealed class BusinessMetricsFactory : BookingFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Observability:CountGaugeSeconds"] = "0.2";
    }
}

/// <summary>
/// The business figures on /metrics move with what drivers do. Counters are process-wide and other test servers share
/// this process, so each assertion is on the increase since just before the act; the gauges are read from this
/// server's own instruments, since /metrics shows the first of the same-named gauges that test servers register.
/// </summary>
public sealed class BusinessMetricsTests(BusinessMetricsFactory factory) : IClassFixture<BusinessMetricsFactory>
{
    private static readonly TimeSpan Eventually = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GaugeRound_BeforeTheMigrations_CountsNothing_AfterThem_Counts()
    {
        // A first start must not count tables the migrations have not made yet (a warning per gauge in a new user's log).
        var counted = 0;
        CountGauge[] gauges = [new("smartparking.test.rows", "{row}", "rows", (_, _) => Task.FromResult((long)Interlocked.Increment(ref counted)))];
        var startup = new StartupState();
        using var refresher = ActivatorUtilities.CreateInstance<CountGaugeRefresher>(factory.Services, gauges.AsEnumerable(), startup);

        (await refresher.CountAllAsync(CancellationToken.None)).ShouldBeFalse();
        counted.ShouldBe(0);
        startup.MigrationsApplied = true;
        (await refresher.CountAllAsync(CancellationToken.None)).ShouldBeTrue();
        counted.ShouldBe(1);
    }

    [Fact]
    public async Task PaidBooking_CountsABookingASucceededPaymentItsRevenueAndAnActiveReservation()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(rate: 12m);
        var (_, driver) = await factory.DriverAsync();
        var before = await ScrapeAsync();
        var activeBefore = await OwnGaugeAsync("smartparking.reservations.active");

        var id = await BookingFactory.BookPaidAsync(driver, BookingFactory.Booking(lotId, spaces[0].SpaceId, DateTimeOffset.UtcNow.AddHours(1), TimeSpan.FromHours(1)));
        var paid = (await factory.PaidAsync(id)).Sum();

        var after = await Poll.UntilAsync(ScrapeAsync, m =>
                Sum(m, "smartparking_reservations_confirmed_total") >= Sum(before, "smartparking_reservations_confirmed_total") + 1
                && Sum(m, "smartparking_payments_total", "outcome=\"succeeded\"") >= Sum(before, "smartparking_payments_total", "outcome=\"succeeded\"") + 1,
            Eventually, "the booking and its payment on /metrics");
        Sum(after, "smartparking_revenue_total", "currency=\"DKK\"").ShouldBeGreaterThanOrEqualTo(Sum(before, "smartparking_revenue_total", "currency=\"DKK\"") + (double)paid);
        paid.ShouldBeGreaterThan(0m);
        await Poll.UntilAsync(() => OwnGaugeAsync("smartparking.reservations.active"), active => active >= activeBefore + 1, Eventually, "one more active reservation");
        after.ShouldContain("# TYPE smartparking_reservations_active gauge");
    }

    [Fact]
    public async Task DeclinedCard_CountsAFailedPayment()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_decline");
        var id = (await BookingFactory.BookAsync(driver, BookingFactory.Booking(lotId, spaces[0].SpaceId, DateTimeOffset.UtcNow.AddHours(1), TimeSpan.FromHours(1)))).Id();
        var before = await ScrapeAsync();

        (await driver.PostAsync($"/api/v1/reservations/{id}/payment", null)).StatusCode.ShouldBe(HttpStatusCode.PaymentRequired);

        await Poll.UntilAsync(ScrapeAsync,
            m => Sum(m, "smartparking_payments_total", "outcome=\"failed\"") >= Sum(before, "smartparking_payments_total", "outcome=\"failed\"") + 1,
            Eventually, "the failed payment on /metrics");
    }

    [Fact]
    public async Task WrongPassword_CountsAFailedSignIn()
    {
        var driver = await factory.RegisterDriverAsync();
        var before = await ScrapeAsync();
        using var client = factory.Anonymous();

        (await client.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = "not the password" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var after = await ScrapeAsync();
        Sum(after, "smartparking_signins_failed_total", "reason=\"credentials\"").ShouldBeGreaterThanOrEqualTo(Sum(before, "smartparking_signins_failed_total", "reason=\"credentials\"") + 1);
    }

    [Fact]
    public async Task StartedSession_CountsASessionAndAnActiveOne()
    {
        var (lotId, _) = await factory.OpenLotAsync(spaces: 0, rate: 6m);
        var (_, driver) = await factory.DriverAsync();
        var before = await ScrapeAsync();
        var activeBefore = await OwnGaugeAsync("smartparking.sessions.active");

        await (await driver.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "OB" + Random.Shared.Next(10_000, 99_999), durationMinutes = 60 }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);

        await Poll.UntilAsync(ScrapeAsync, m => Sum(m, "smartparking_sessions_started_total") >= Sum(before, "smartparking_sessions_started_total") + 1,
            Eventually, "the session start on /metrics");
        await Poll.UntilAsync(() => OwnGaugeAsync("smartparking.sessions.active"), active => active >= activeBefore + 1, Eventually, "one more active session");
    }

    private async Task<string> ScrapeAsync()
    {
        using var client = factory.Anonymous();
        return await client.GetStringAsync("/metrics");
    }

    /// <summary>The sum of a metric's samples whose labels contain <paramref name="label"/> (e.g. outcome="failed").</summary>
    private static double Sum(string metrics, string name, string label = "") =>
        metrics.Split('\n')
            .Where(line => (line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal))
                && line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private async Task<double> OwnGaugeAsync(string name) =>
        (await Poll.UntilAsync(() => Task.FromResult(OwnGauges.Read(factory.Services, name)), values => values.ContainsKey(""), Eventually,
            $"a first count in {name}"))[""];
}
