using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Reservations;

/// <summary>
/// The booking server with Reservations' settlement handler wrapped so a test can make it die once for a payment, as a
/// process killed between recording the payment and confirming the booking would.
/// </summary>
public sealed class PaymentRecoveryFactory : BookingFactory
{
    private readonly ConcurrentDictionary<Guid, bool> _crashOnce = new();

    /// <summary>The next time the payment's settlement is handled, the handler throws instead.</summary>
    public void CrashOnceOn(Guid paymentId) => _crashOnce[paymentId] = true;

    public bool Crashed(Guid paymentId) => !_crashOnce.ContainsKey(paymentId);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            var real = services.Single(d => d.ServiceType == typeof(IPaymentSettledHandler) && d.ImplementationType == typeof(ReservationPayments));
            services.Remove(real);
            services.AddSingleton<IPaymentSettledHandler>(sp => new CrashingHandler(ActivatorUtilities.CreateInstance<ReservationPayments>(sp), _crashOnce));
        });
    }

    private sealed class CrashingHandler(IPaymentSettledHandler inner, ConcurrentDictionary<Guid, bool> crashOnce) : IPaymentSettledHandler
    {
        public Task HandleAsync(PaymentSettled settled, CancellationToken ct) =>
            crashOnce.TryRemove(settled.PaymentId, out _)
                ? throw new InvalidOperationException($"Simulated crash while handling payment {settled.PaymentId}.")
                : inner.HandleAsync(settled, ct);
    }
}

/// <summary>
/// A payment that succeeds always ends in a confirmed booking or a refund, whatever the order of the provider's events
/// and wherever a crash falls. Events come through the sandbox's settle endpoint (the provider's webhook) and the
/// scheduled jobs run on their own, five times a second, on the clock the tests move.
/// </summary>
public sealed class PaymentRecoveryTests(PaymentRecoveryFactory factory) : IClassFixture<PaymentRecoveryFactory>
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private DateTimeOffset InMinutes(int minutes) => factory.Clock.GetUtcNow().AddMinutes(minutes);

    [Fact]
    public async Task Webhooks_FailedThenSucceeded_ConfirmsTheBooking()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_pending");
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();
        var paymentId = await PayPendingAsync(driver, id);

        await SettleAsync(paymentId, "failed");
        await SettleAsync(paymentId, "succeeded");

        await WaitForStatusAsync(driver, id, "confirmed");
        var receipt = await ReceiptAsync(driver, id);
        receipt.GetProperty("totals")[0].GetProperty("net").GetDecimal().ShouldBe(12.00m);
        receipt.GetProperty("refunds").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Webhooks_FailedThenSucceededAfterTheSpaceWasTaken_RefundsThePayment()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_pending");
        var (_, other) = await factory.DriverAsync();
        var booking = Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour);
        var id = (await BookAsync(driver, booking)).Id();
        var paymentId = await PayPendingAsync(driver, id);
        await SettleAsync(paymentId, "failed");
        factory.Clock.Advance(TimeSpan.FromMinutes(11));
        await WaitForStatusAsync(driver, id, "expired");
        await BookPaidAsync(other, booking);

        await SettleAsync(paymentId, "succeeded");

        var receipt = await Poll.UntilAsync(() => ReceiptAsync(driver, id), r => r.GetProperty("refunds").GetArrayLength() > 0, IngestKit.Eventually, "the refund");
        receipt.GetProperty("refunds").EnumerateArray().Select(r => (r.GetProperty("amount").GetDecimal(), r.Str("state"))).ShouldBe([(12.00m, "succeeded")]);
        receipt.GetProperty("totals")[0].GetProperty("net").GetDecimal().ShouldBe(0m);
        (await driver.GetJsonAsync($"/api/v1/reservations/{id}")).Str("status").ShouldBe("expired");
    }

    [Fact]
    public async Task CrashAfterTheChargeSucceeded_HoldExpires_TheBookingIsConfirmedNotExpired()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (account, driver) = await factory.DriverAsync();
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();
        // What a process killed after the provider's "succeeded" was recorded, and before the booking was confirmed, leaves.
        var paymentId = await LedgerRowAsync(account, id, state: "succeeded", provider: "sandbox", attemptStartedAt: factory.Clock.GetUtcNow());

        factory.Clock.Advance(TimeSpan.FromMinutes(11));

        await WaitForStatusAsync(driver, id, "confirmed");
        (await factory.PaidAsync(id)).ShouldBe([12.00m]);
        (await RefundedAsync(paymentId)).ShouldBe(0m);
    }

    [Fact]
    public async Task CrashWhileHandlingTheSettlement_TheJobAnnouncesItAgainAndTheBookingIsConfirmed()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_pending");
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();
        var paymentId = await PayPendingAsync(driver, id);
        factory.CrashOnceOn(paymentId);

        await SettleAsync(paymentId, "succeeded");
        factory.Crashed(paymentId).ShouldBeTrue();
        (await driver.GetJsonAsync($"/api/v1/reservations/{id}")).Str("status").ShouldBe("held");
        // Well inside the hold: it is the settlement's own retry that confirms, not the hold's expiry.
        factory.Clock.Advance(TimeSpan.FromMinutes(1));

        await WaitForStatusAsync(driver, id, "confirmed");
        (await RefundedAsync(paymentId)).ShouldBe(0m);
    }

    [Fact]
    public async Task CrashWhileHandlingTheSettlement_SpaceTakenAfterTheHoldExpired_TheJobRefunds()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_pending");
        var (_, other) = await factory.DriverAsync();
        var booking = Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour);
        var id = (await BookAsync(driver, booking)).Id();
        var paymentId = await PayPendingAsync(driver, id);
        factory.Clock.Advance(TimeSpan.FromMinutes(11));
        await WaitForStatusAsync(driver, id, "expired");
        await BookPaidAsync(other, booking);
        factory.CrashOnceOn(paymentId);

        await SettleAsync(paymentId, "succeeded");
        factory.Crashed(paymentId).ShouldBeTrue();
        factory.Clock.Advance(TimeSpan.FromMinutes(1));

        await Poll.UntilAsync(() => RefundedAsync(paymentId), r => r == 12.00m, IngestKit.Eventually, "the refund of the late payment");
        (await driver.GetJsonAsync($"/api/v1/reservations/{id}")).Str("status").ShouldBe("expired");
        (await ReceiptAsync(driver, id)).GetProperty("totals")[0].GetProperty("net").GetDecimal().ShouldBe(0m);
    }

    [Fact]
    public async Task ExpiredHold_PaymentSucceedsLaterAndTheSpaceWasTaken_Refunded()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (_, driver) = await factory.DriverAsync("sandbox_pending");
        var (_, other) = await factory.DriverAsync();
        var booking = Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour);
        var id = (await BookAsync(driver, booking)).Id();
        var paymentId = await PayPendingAsync(driver, id);
        factory.Clock.Advance(TimeSpan.FromMinutes(11));
        await WaitForStatusAsync(driver, id, "expired");
        await BookPaidAsync(other, booking);

        await SettleAsync(paymentId, "succeeded");

        await Poll.UntilAsync(() => RefundedAsync(paymentId), r => r == 12.00m, IngestKit.Eventually, "the refund of the late payment");
        (await driver.GetJsonAsync($"/api/v1/reservations/{id}")).Str("status").ShouldBe("expired");
    }

    [Fact]
    public async Task CrashWithTheChargeInFlight_LeaseRunsOut_TheJobDrivesItAndTheBookingIsConfirmed()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (account, driver) = await factory.DriverAsync();
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();
        // A process killed while the provider call was out: the row is claimed, no provider has answered.
        var paymentId = await LedgerRowAsync(account, id, state: "pending", provider: null, attemptStartedAt: factory.Clock.GetUtcNow());

        // Past the charge lease (120 s), well inside the hold (10 min).
        factory.Clock.Advance(TimeSpan.FromMinutes(3));

        await WaitForStatusAsync(driver, id, "confirmed");
        (await factory.ScalarAsync<string>("select state from payments where id = $1", paymentId)).ShouldBe("succeeded");
        (await factory.PaidAsync(id)).ShouldBe([12.00m]);
        (await RefundedAsync(paymentId)).ShouldBe(0m);
    }

    [Fact]
    public async Task CrashWithTheChargeInFlight_HoldExpiresFirst_TheExpiryDrivesItAndConfirms()
    {
        var (lotId, spaces) = await factory.OpenLotAsync();
        var (account, driver) = await factory.DriverAsync();
        var id = (await BookAsync(driver, Booking(lotId, spaces[0].SpaceId, InMinutes(60), Hour))).Id();
        var paymentId = await LedgerRowAsync(account, id, state: "pending", provider: null, attemptStartedAt: factory.Clock.GetUtcNow());

        factory.Clock.Advance(TimeSpan.FromMinutes(11));

        await WaitForStatusAsync(driver, id, "confirmed");
        (await factory.ScalarAsync<string>("select state from payments where id = $1", paymentId)).ShouldBe("succeeded");
        (await RefundedAsync(paymentId)).ShouldBe(0m);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static async Task<Guid> PayPendingAsync(HttpClient driver, Guid id)
    {
        var pending = await (await driver.PostAsync($"/api/v1/reservations/{id}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.Accepted);
        return pending.GetProperty("payment").GetProperty("paymentId").GetGuid();
    }

    /// <summary>The provider's word on a payment, through the sandbox's stand-in for its webhook.</summary>
    private async Task SettleAsync(Guid paymentId, string state)
    {
        using var admin = factory.ClientFor(await AdminAsync());
        await (await admin.PostAsJsonAsync($"/api/v1/payments/sandbox/{paymentId}/settle", new { state })).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    private TestAccount? _admin;

    private async Task<TestAccount> AdminAsync() => _admin ??= await factory.CreateAdminAsync();

    /// <summary>A reservation's payment row written straight into the ledger, as a process that died at some step left it.</summary>
    private async Task<Guid> LedgerRowAsync(TestAccount driver, Guid reservationId, string state, string? provider, DateTimeOffset attemptStartedAt)
    {
        var paymentId = Guid.CreateVersion7();
        var reference = provider is null ? null : "sbx_" + paymentId.ToString("N");
        await factory.ExecuteAsync("""
            insert into payments (id, tenant_id, driver_id, purpose, reference_id, amount, currency, description, state, provider, provider_reference,
                idempotency_key, attempt_started_at, created_at, updated_at)
            values ($1, $2, $3, 'reservation', $4, 12.00, 'DKK', 'Parking', $5, $6, $7, $8, $9, $9, $9)
            """, paymentId, factory.TenantId, driver.Id, reservationId, state, (object?)provider ?? DBNull.Value, (object?)reference ?? DBNull.Value,
            $"reservation:{reservationId}", attemptStartedAt);
        return paymentId;
    }

    private Task<decimal> RefundedAsync(Guid paymentId) =>
        factory.ScalarAsync<decimal>("select coalesce(sum(amount), 0) from refunds where payment_id = $1 and state = 'succeeded'", paymentId);

    private static async Task<JsonElement> ReceiptAsync(HttpClient driver, Guid id) => await driver.GetJsonAsync($"/api/v1/payments/receipts/{id}");
}
