using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Payments;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

public sealed class PayPalTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    private const string Url = "/api/v1/payments/webhooks/paypal";

    [Fact]
    public async Task ChargeAsync_PayPalMethod_OrderCreatedAndCapturedWithRequestIds()
    {
        var driver = await factory.DriverWithAsync(("paypal", "vault-ok"));
        var request = factory.Charge(driver, amount: 12.5m);

        var outcome = await factory.Payments.ChargeAsync(request, CancellationToken.None);
        var again = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

        outcome.State.ShouldBe(PaymentState.Succeeded);
        outcome.Provider.ShouldBe("paypal");
        again.State.ShouldBe(PaymentState.Succeeded);
        var order = factory.PayPal.OrdersFor(outcome.PaymentId).ShouldHaveSingleItem();
        order.RequestId.ShouldNotBeNullOrWhiteSpace();
        var body = FakePayPal.Parse(order.Body);
        body.GetProperty("intent").GetString().ShouldBe("CAPTURE");
        var unit = body.GetProperty("purchase_units")[0];
        unit.GetProperty("reference_id").GetString().ShouldBe(request.ReferenceId.ToString());
        unit.GetProperty("custom_id").GetString().ShouldBe(outcome.PaymentId.ToString());
        unit.GetProperty("amount").GetProperty("currency_code").GetString().ShouldBe("DKK");
        unit.GetProperty("amount").GetProperty("value").GetString().ShouldBe("12.50");
        body.GetProperty("payment_source").GetProperty("paypal").GetProperty("vault_id").GetString().ShouldBe("vault-ok");
        factory.PayPal.Calls.ShouldContain(c => c.Path.EndsWith("/capture", StringComparison.Ordinal) && c.RequestId != null && c.RequestId != order.RequestId);
        (await factory.ScalarAsync<string>("select provider_reference from payments where id = $1", outcome.PaymentId)).ShouldStartWith("CAP");
        // One OAuth token serves both charges.
        factory.PayPal.TokensIssued.ShouldBe(1);
    }

    [Fact]
    public async Task ChargeAsync_PayPalDeclined_FailedWithIssue()
    {
        var driver = await factory.DriverWithAsync(("paypal", "vault-declined"));

        var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

        outcome.State.ShouldBe(PaymentState.Failed);
        outcome.FailureCode.ShouldBe("instrument_declined");
        factory.PayPal.OrdersFor(outcome.PaymentId).Count.ShouldBe(1);
    }

    [Fact]
    public async Task RefundAsync_PayPalPayment_RefundsTheCapture()
    {
        var driver = await factory.DriverWithAsync(("paypal", "vault-ok"));
        var payment = await factory.Payments.ChargeAsync(factory.Charge(driver, amount: 10m), CancellationToken.None);
        var capture = await factory.ScalarAsync<string>("select provider_reference from payments where id = $1", payment.PaymentId);

        var refund = await factory.Payments.RefundAsync(new RefundRequest(payment.PaymentId, 4m, "r1", "Cancelled"), CancellationToken.None);

        refund.State.ShouldBe(PaymentState.Succeeded);
        var call = factory.PayPal.Calls.Single(c => c.Path == $"/v2/payments/captures/{capture}/refund");
        FakePayPal.Parse(call.Body).GetProperty("amount").GetProperty("value").GetString().ShouldBe("4.00");
        call.RequestId.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task PayPalWebhook_VerifiedCaptureCompleted_SettlesPendingPaymentOnce()
    {
        var (payment, capture) = await PendingPaymentAsync();
        var body = CaptureEvent("WH-" + Guid.NewGuid().ToString("N"), "PAYMENT.CAPTURE.COMPLETED", capture, payment, "COMPLETED");

        var first = await PostAsync(body);
        var replay = await PostAsync(body);

        (await first.ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("result").ShouldBe("applied");
        (await replay.ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("result").ShouldBe("duplicate");
        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
        factory.Settled.CountFor(payment).ShouldBe(1);
        var verify = factory.PayPal.Calls.Last(c => c.Path == "/v1/notifications/verify-webhook-signature");
        var sent = FakePayPal.Parse(verify.Body);
        sent.GetProperty("webhook_id").GetString().ShouldBe(FakePayPal.WebhookId);
        sent.GetProperty("transmission_id").GetString().ShouldBe("tx-1");
        sent.GetProperty("cert_url").GetString().ShouldBe("https://api.paypal.com/v1/notifications/certs/CERT-360caa42");
        sent.GetProperty("webhook_event").GetProperty("id").GetString().ShouldBe(FakePayPal.Parse(body).GetProperty("id").GetString());
    }

    [Fact]
    public async Task PayPalWebhook_VerificationFailure_RefusedAndNotApplied()
    {
        var (payment, capture) = await PendingPaymentAsync();
        factory.PayPal.VerificationStatus = "FAILURE";
        try
        {
            var response = await PostAsync(CaptureEvent("WH-" + Guid.NewGuid().ToString("N"), "PAYMENT.CAPTURE.COMPLETED", capture, payment, "COMPLETED"));

            await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            (await factory.StateOfAsync(payment)).ShouldBe("pending");
        }
        finally { factory.PayPal.VerificationStatus = "SUCCESS"; }
    }

    [Fact]
    public async Task PayPalWebhook_MissingTransmissionHeaders_Refused()
    {
        var (payment, capture) = await PendingPaymentAsync();
        using var client = factory.Anonymous();

        var response = await client.PostAsync(Url, new StringContent(CaptureEvent("WH-" + Guid.NewGuid().ToString("N"), "PAYMENT.CAPTURE.COMPLETED", capture, payment, "COMPLETED"),
            Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await factory.StateOfAsync(payment)).ShouldBe("pending");
    }

    [Fact]
    public async Task PayPalWebhook_RefundedBeforeCompletedAndDenied_LedgerCorrect()
    {
        var (payment, capture) = await PendingPaymentAsync();
        var refunded = RefundEvent("WH-" + Guid.NewGuid().ToString("N"), capture, "REF" + Guid.NewGuid().ToString("N")[..10], "3.00");
        var completed = CaptureEvent("WH-" + Guid.NewGuid().ToString("N"), "PAYMENT.CAPTURE.COMPLETED", capture, payment, "COMPLETED");
        var denied = CaptureEvent("WH-" + Guid.NewGuid().ToString("N"), "PAYMENT.CAPTURE.DENIED", capture, payment, "DECLINED");

        foreach (var body in new[] { refunded, denied, refunded, completed })
            await (await PostAsync(body)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
        (await factory.ColumnAsync("select amount::text || ' ' || state from refunds where payment_id = $1", payment)).ShouldBe(["3.00 succeeded"]);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private async Task<(Guid Payment, string Capture)> PendingPaymentAsync()
    {
        var driver = await factory.DriverWithAsync(("paypal", "vault-pending"));
        var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);
        outcome.State.ShouldBe(PaymentState.Pending);
        return (outcome.PaymentId, await factory.ScalarAsync<string>("select provider_reference from payments where id = $1", outcome.PaymentId));
    }

    private async Task<HttpResponseMessage> PostAsync(string body)
    {
        using var client = factory.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("PAYPAL-TRANSMISSION-ID", "tx-1");
        request.Headers.TryAddWithoutValidation("PAYPAL-TRANSMISSION-TIME", DateTimeOffset.UtcNow.ToString("O"));
        request.Headers.TryAddWithoutValidation("PAYPAL-TRANSMISSION-SIG", "c2lnbmF0dXJl");
        request.Headers.TryAddWithoutValidation("PAYPAL-CERT-URL", "https://api.paypal.com/v1/notifications/certs/CERT-360caa42");
        request.Headers.TryAddWithoutValidation("PAYPAL-AUTH-ALGO", "SHA256withRSA");
        return await client.SendAsync(request);
    }

    private static string CaptureEvent(string id, string type, string capture, Guid payment, string status) => new JsonObject
    {
        ["id"] = id, ["event_version"] = "1.0", ["create_time"] = DateTimeOffset.UtcNow.ToString("O"), ["resource_type"] = "capture", ["event_type"] = type,
        ["resource"] = new JsonObject
        {
            ["id"] = capture, ["status"] = status, ["custom_id"] = payment.ToString(),
            ["amount"] = new JsonObject { ["currency_code"] = "DKK", ["value"] = "12.50" },
        },
    }.ToJsonString();

    private static string RefundEvent(string id, string capture, string refund, string value) => new JsonObject
    {
        ["id"] = id, ["event_version"] = "1.0", ["resource_type"] = "refund", ["event_type"] = "PAYMENT.CAPTURE.REFUNDED",
        ["resource"] = new JsonObject
        {
            ["id"] = refund, ["status"] = "COMPLETED",
            ["amount"] = new JsonObject { ["currency_code"] = "DKK", ["value"] = value },
            ["links"] = new JsonArray(new JsonObject { ["rel"] = "up", ["href"] = $"https://api.paypal.com/v2/payments/captures/{capture}", ["method"] = "GET" }),
        },
    }.ToJsonString();
}
