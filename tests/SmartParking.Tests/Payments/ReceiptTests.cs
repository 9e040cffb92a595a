using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using SmartParking.Server.Modules.Payments;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

/// <summary>Receipts, the operators' ledger list, and the sandbox provider.</summary>
public sealed class ReceiptTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    [Fact]
    public async Task GetReceipt_ChargesAndRefund_JsonTotals()
    {
        var (driver, reference) = await PaidReferenceAsync();
        using var client = factory.ClientFor(driver);

        var receipt = await client.GetJsonAsync($"/api/v1/payments/receipts/{reference}");

        receipt.GetProperty("referenceId").GetGuid().ShouldBe(reference);
        receipt.Str("currency").ShouldBe("DKK");
        receipt.GetProperty("charges").GetArrayLength().ShouldBe(2);
        receipt.GetProperty("charges")[0].Str("provider").ShouldBe("stripe");
        receipt.GetProperty("refunds").GetArrayLength().ShouldBe(1);
        var total = receipt.GetProperty("totals")[0];
        total.GetProperty("charged").GetDecimal().ShouldBe(16.25m);
        total.GetProperty("refunded").GetDecimal().ShouldBe(4m);
        total.GetProperty("net").GetDecimal().ShouldBe(12.25m);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GetReceipt_PdfByAcceptOrFormat_PdfWithAmounts(bool byAccept)
    {
        var (driver, reference) = await PaidReferenceAsync();
        using var client = factory.ClientFor(driver);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/payments/receipts/{reference}" + (byAccept ? "" : "?format=pdf"));
        if (byAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/pdf"));

        var response = await client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Encoding.ASCII.GetString(bytes, 0, 5).ShouldBe("%PDF-");
        PdfText.ShouldBeWellFormed(bytes);
        var text = PdfText.Extract(bytes);
        text.ShouldContain("12.50 DKK");
        text.ShouldContain("Net 12.25 DKK");
    }

    [Fact]
    public async Task GetReceipt_OtherDriver_404()
    {
        var (_, reference) = await PaidReferenceAsync();
        var stranger = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(stranger);

        (await client.GetAsync($"/api/v1/payments/receipts/{reference}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task GetReceipt_OperatorOfTenantOrNot_OnlyOwnTenantSees()
    {
        var (_, reference) = await PaidReferenceAsync();
        var (_, otherClient, _) = await factory.NewTenantWithOperatorAsync();
        using var own = factory.OperatorClient();

        (await own.GetAsync($"/api/v1/payments/receipts/{reference}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await otherClient.GetAsync($"/api/v1/payments/receipts/{reference}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        otherClient.Dispose();
    }

    [Fact]
    public async Task ListPayments_OperatorOfOtherTenant_SeesNoneOfTenantAs()
    {
        var (driver, reference) = await PaidReferenceAsync();
        var (otherTenant, otherClient, _) = await factory.NewTenantWithOperatorAsync();
        await factory.Payments.ChargeAsync(factory.Charge(driver) with { TenantId = otherTenant }, CancellationToken.None);
        using var own = factory.OperatorClient();

        var mine = await own.GetJsonAsync($"/api/v1/manage/payments?referenceId={reference}");
        var theirs = await otherClient.GetJsonAsync("/api/v1/manage/payments");
        var theirsForReference = await otherClient.GetJsonAsync($"/api/v1/manage/payments?referenceId={reference}&driverId={driver.Id}");
        var failedOnly = await own.GetJsonAsync($"/api/v1/manage/payments?referenceId={reference}&state=failed");

        mine.Items().Count.ShouldBe(2);
        mine.GetProperty("total").GetInt64().ShouldBe(2);
        mine.Items().Sum(p => p.GetProperty("refunded").GetDecimal()).ShouldBe(4m);
        theirs.Items().ShouldHaveSingleItem().GetProperty("tenantId").GetGuid().ShouldBe(otherTenant);
        theirsForReference.Items().ShouldBeEmpty();
        failedOnly.Items().ShouldBeEmpty();
        otherClient.Dispose();
    }

    [Fact]
    public async Task ListPayments_Driver_403()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        (await client.GetAsync("/api/v1/manage/payments")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SandboxPending_AdminSettles_SucceededAndHandlersToldOnce()
    {
        var driver = await factory.DriverWithAsync(("sandbox", "sandbox_pending"));
        var pending = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);
        var admin = await factory.CreateAdminAsync();
        using var adminClient = factory.ClientFor(admin);
        using var driverClient = factory.ClientFor(driver);

        var byDriver = await driverClient.PostAsJsonAsync($"/api/v1/payments/sandbox/{pending.PaymentId}/settle", new { state = "succeeded" });
        var settled = await (await adminClient.PostAsJsonAsync($"/api/v1/payments/sandbox/{pending.PaymentId}/settle", new { state = "succeeded" }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await adminClient.PostAsJsonAsync($"/api/v1/payments/sandbox/{pending.PaymentId}/settle", new { state = "succeeded" })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        pending.State.ShouldBe(PaymentState.Pending);
        pending.Provider.ShouldBe("sandbox");
        byDriver.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        settled.Str("state").ShouldBe("succeeded");
        factory.Settled.CountFor(pending.PaymentId).ShouldBe(1);
    }

    [Theory]
    [InlineData("sandbox_ok", PaymentState.Succeeded)]
    [InlineData("sandbox_decline", PaymentState.Failed)]
    public async Task ChargeAsync_SandboxToken_OutcomeByToken(string token, PaymentState expected)
    {
        var driver = await factory.DriverWithAsync(("sandbox", token));

        (await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None)).State.ShouldBe(expected);
    }

    /// <summary>A reservation paid 12.50 plus a 3.75 extension through Stripe, with 4.00 refunded.</summary>
    private async Task<(TestAccount Driver, Guid Reference)> PaidReferenceAsync()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var reference = Guid.NewGuid();
        var paid = await factory.Payments.ChargeAsync(factory.Charge(driver, 12.50m, referenceId: reference), CancellationToken.None);
        await factory.Payments.ChargeAsync(factory.Charge(driver, 3.75m, referenceId: reference, purpose: PaymentPurpose.ReservationExtension), CancellationToken.None);
        (await factory.Payments.RefundAsync(new RefundRequest(paid.PaymentId, 4m, "cancel", "Cancelled early"), CancellationToken.None)).State.ShouldBe(PaymentState.Succeeded);
        return (driver, reference);
    }
}
