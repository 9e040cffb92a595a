using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Reservations.BookingFactory;

namespace SmartParking.Tests.Reservations;

/// <summary>
/// A payment that succeeds always ends in a confirmed booking or a refund, whatever the order of the provider's events
/// and wherever a crash falls. Events come through the sandbox's settle endpoint (the provider's webhook) and the
/// scheduled jobs run on their own, five times a second, on the clock the tests move.
/// </summary>
public sealed class PaymentRecoveryTests(BookingFactory factory) : IClassFixture<BookingFactory>
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

    private static async Task<JsonElement> ReceiptAsync(HttpClient driver, Guid id) => await driver.GetJsonAsync($"/api/v1/payments/receipts/{id}");
}
