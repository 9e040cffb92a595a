using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Payments;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Reservations;

/// <summary>The real clock plus an offset that tests move forward, so hours of a stay pass in a moment.</summary>
public sealed class ShiftableClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>
/// A server whose scheduled work runs five times a second on a clock the test can move, with a tenant, its operator
/// and helpers for lots, drivers with a saved (sandbox) payment method, and bookings.
/// </summary>
public class BookingFactory : ManageFactory
{
    public ShiftableClock Clock { get; } = new();

    public override TimeProvider Time => Clock;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Reservations:SweepSeconds"] = "0.2";
        // Tests move the clock hours ahead: the sensor health sweep would then mark every space unknown, racing with
        // the status a test waits for (a sensor's last "free" after a reservation ends).
        settings["Ingest:HealthSweepSeconds"] = "3600";
        // Tests move the clock hours ahead; tokens issued before must outlive that.
        settings["Auth:AccessTokenMinutes"] = "1440";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    public IPaymentService Payments => Services.GetRequiredService<IPaymentService>();

    /// <summary>A lot open around the clock with <paramref name="spaces"/> standard spaces (each with a sensor).</summary>
    public async Task<(Guid LotId, IReadOnlyList<TestSensor> Spaces)> OpenLotAsync(int spaces = 1, decimal rate = 12m, string type = "standard")
    {
        using var op = OperatorClient();
        var (lat, lng) = IngestKit.SomewhereNew();
        var lot = Payloads.Lot("Booking Lot", lat, lng);
        lot["openingHours"] = new JsonArray();
        lot["baseHourlyRate"] = rate;
        var lotId = (await op.CreateLotAsync(lot)).Id();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/pricing-policy", new { peakMultiplier = 1.0, offPeakMultiplier = 1.0 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var created = new List<TestSensor>();
        for (var i = 0; i < spaces; i++) created.Add(await op.CreateSensorAsync(lotId, $"B{i + 1}", type));
        return (lotId, created);
    }

    public async Task SetPolicyAsync(Guid lotId, object policy)
    {
        using var op = OperatorClient();
        await (await op.PutAsJsonAsync($"/api/v1/manage/lots/{lotId}/reservation-policy", policy)).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    /// <summary>A signed-in driver with a saved payment method (sandbox tokens: sandbox_ok, sandbox_decline, sandbox_pending).</summary>
    public async Task<(TestAccount Driver, HttpClient Client)> DriverAsync(string token = "sandbox_ok")
    {
        var driver = await RegisterDriverAsync();
        var client = ClientFor(driver);
        await (await client.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        return (driver, client);
    }

    public static object Booking(Guid lotId, Guid spaceId, DateTimeOffset start, TimeSpan length, string? plate = null) =>
        new { lotId, spaceId, start, end = start + length, plate };

    public static async Task<JsonElement> BookAsync(HttpClient driver, object booking) =>
        await (await driver.PostAsJsonAsync("/api/v1/reservations", booking)).ShouldHaveStatusAsync(HttpStatusCode.Created);

    /// <summary>Booked and paid: confirmed.</summary>
    public static async Task<Guid> BookPaidAsync(HttpClient driver, object booking)
    {
        var id = (await BookAsync(driver, booking)).Id();
        var paid = await (await driver.PostAsync($"/api/v1/reservations/{id}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        paid.GetProperty("reservation").Str("status").ShouldBe("confirmed");
        return id;
    }

    public static async Task<JsonElement> WaitForStatusAsync(HttpClient driver, Guid id, string status) =>
        await Poll.UntilAsync(async () => await driver.GetJsonAsync($"/api/v1/reservations/{id}"), r => r.Str("status") == status,
            IngestKit.Eventually, $"reservation {id} to be {status}");

    /// <summary>The ledger's charges for a reservation or session: (purpose, amount) of each succeeded payment.</summary>
    public async Task<IReadOnlyList<decimal>> PaidAsync(Guid referenceId) =>
        (await Payments.PaymentsForAsync(referenceId, CancellationToken.None)).Where(p => p.State == PaymentState.Succeeded).Select(p => p.Amount).ToList();
}
