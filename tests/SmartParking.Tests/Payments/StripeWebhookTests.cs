using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SmartParking.Server.Modules.Payments;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

public sealed class StripeWebhookTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    private const string Url = "/api/v1/payments/webhooks/stripe";

    [Fact]
    public async Task StripeWebhook_ValidSucceededEvent_SettlesPendingPaymentAndTellsHandlersOnce()
    {
        var (payment, intent) = await PendingPaymentAsync();

        var response = await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded"));

        (await response.ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("result").ShouldBe("applied");
        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
        factory.Settled.Received.Where(s => s.PaymentId == payment).ShouldHaveSingleItem().State.ShouldBe(PaymentState.Succeeded);
    }

    [Fact]
    public async Task StripeWebhook_BadSignature_RefusedAndNotApplied()
    {
        var (payment, intent) = await PendingPaymentAsync();
        var body = IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded");

        var forged = await PostAsync(body, signature: PaymentsFactory.StripeSignature(body, Now(), secret: "whsec_someone_else"));
        var tampered = await PostAsync(body.Replace("succeeded", "succeeded "), signature: PaymentsFactory.StripeSignature(body, Now()));
        var unsigned = await PostAsync(body, signature: "");

        await forged.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        await tampered.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        await unsigned.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await factory.StateOfAsync(payment)).ShouldBe("pending");
        (await factory.ScalarAsync<long>("select count(*) from webhook_events where payment_id = $1", payment)).ShouldBe(0);
    }

    [Fact]
    public async Task StripeWebhook_TimestampOutsideTolerance_Refused()
    {
        var (payment, intent) = await PendingPaymentAsync();
        var body = IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded");

        var old = await PostAsync(body, signature: PaymentsFactory.StripeSignature(body, Now() - 301));

        await old.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await factory.StateOfAsync(payment)).ShouldBe("pending");
    }

    [Fact]
    public async Task StripeWebhook_SeveralSignaturesOneValid_Accepted()
    {
        var (payment, intent) = await PendingPaymentAsync();
        var body = IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded");
        var t = Now();
        var rolled = PaymentsFactory.StripeSignature(body, t, "whsec_old_secret");
        var current = PaymentsFactory.StripeSignature(body, t);

        var response = await PostAsync(body, signature: $"{rolled},{current[(current.IndexOf(',') + 1)..]}");

        await response.ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
    }

    [Fact]
    public async Task StripeWebhook_SameEventReplayed_AppliedOnce()
    {
        var (payment, intent) = await PendingPaymentAsync();
        var body = IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded");

        var results = new List<string>();
        for (var i = 0; i < 3; i++) results.Add((await (await PostAsync(body)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("result"));

        results.ShouldBe(["applied", "duplicate", "duplicate"]);
        factory.Settled.CountFor(payment).ShouldBe(1);
        (await factory.ScalarAsync<long>("select count(*) from webhook_events where payment_id = $1", payment)).ShouldBe(1);
    }

    [Fact]
    public async Task StripeWebhook_RefundBeforeSuccessAndDuplicates_LedgerCorrect()
    {
        var (payment, intent) = await PendingPaymentAsync();
        var refunded = ChargeRefundedEvent("evt_" + Guid.NewGuid().ToString("N"), intent, payment, "re_" + Guid.NewGuid().ToString("N")[..20], 500);
        var succeeded = IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded");

        foreach (var body in new[] { refunded, refunded, succeeded, refunded, succeeded })
            await (await PostAsync(body)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
        (await factory.ColumnAsync("select amount::text || ' ' || state from refunds where payment_id = $1", payment)).ShouldBe(["5.00 succeeded"]);
        factory.Settled.CountFor(payment).ShouldBe(1);
        var receiptRefunded = await factory.ScalarAsync<decimal>("select coalesce(sum(amount), 0) from refunds where payment_id = $1 and state = 'succeeded'", payment);
        receiptRefunded.ShouldBe(5m);
    }

    [Fact]
    public async Task StripeWebhook_FailedArrivesAfterSucceeded_StaysSucceeded()
    {
        var (payment, intent) = await PendingPaymentAsync();

        await (await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded"))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.payment_failed", intent, payment, "requires_payment_method"))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
        (await factory.ScalarAsync<object>("select failure_code from payments where id = $1", payment)).ShouldBe(DBNull.Value);
    }

    [Fact]
    public async Task StripeWebhook_FailedThenSucceeded_SucceedsAndTellsHandlersOfEachMove()
    {
        var (payment, intent) = await PendingPaymentAsync();

        await (await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.payment_failed", intent, payment, "requires_payment_method",
            declineCode: "insufficient_funds"))).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded"))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
        // The driver retried with another card: the money is taken, and whoever waits for it must hear so.
        factory.Settled.Received.Where(s => s.PaymentId == payment).Select(s => s.State).ShouldBe([PaymentState.Failed, PaymentState.Succeeded]);
        (await factory.ScalarAsync<object>("select failure_code from payments where id = $1", payment)).ShouldBe(DBNull.Value, "a succeeded payment carries no decline");
    }

    [Fact]
    public async Task StripeWebhook_PaymentFailed_FailsPendingWithDeclineCode()
    {
        var (payment, intent) = await PendingPaymentAsync();

        await (await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.payment_failed", intent, payment, "requires_payment_method",
            declineCode: "insufficient_funds"))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.StateOfAsync(payment)).ShouldBe("failed");
        (await factory.ScalarAsync<string>("select failure_code from payments where id = $1", payment)).ShouldBe("insufficient_funds");
        factory.Settled.Received.Where(s => s.PaymentId == payment).ShouldHaveSingleItem().State.ShouldBe(PaymentState.Failed);
    }

    [Fact]
    public async Task StripeWebhook_SucceededRepeatedAndReplayed_RecordsOnePaymentSucceeded()
    {
        var (payment, intent) = await PendingPaymentAsync();
        var body = IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded");
        var again = IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded");

        foreach (var b in new[] { body, body, again }) await (await PostAsync(b)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.EventCountAsync("PaymentSucceeded", payment)).ShouldBe(1);
        (await factory.EventCountAsync("PaymentFailed", payment)).ShouldBe(0);
        (await factory.ScalarAsync<string>("select payload->'payment'->>'driverId' from domain_events where type = 'PaymentSucceeded' and aggregate_id = $1", payment.ToString()))
            .ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task StripeWebhook_FailedThenSucceeded_RecordsOneOfEach()
    {
        var (payment, intent) = await PendingPaymentAsync();

        await (await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.payment_failed", intent, payment, "requires_payment_method", "card_declined")))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await PostAsync(IntentEvent("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.succeeded", intent, payment, "succeeded"))).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.EventCountAsync("PaymentFailed", payment)).ShouldBe(1);
        (await factory.EventCountAsync("PaymentSucceeded", payment)).ShouldBe(1);
    }

    [Fact]
    public async Task StripeWebhook_RefundReportedTwice_RecordsOneRefundIssued()
    {
        var (payment, intent) = await PendingPaymentAsync();
        var refund = "re_" + Guid.NewGuid().ToString("N")[..20];
        // The same refund in two provider events (Stripe sends charge.refunded again as later refunds come).
        var first = ChargeRefundedEvent("evt_" + Guid.NewGuid().ToString("N"), intent, payment, refund, 500);
        var second = ChargeRefundedEvent("evt_" + Guid.NewGuid().ToString("N"), intent, payment, refund, 500);

        foreach (var body in new[] { first, second }) await (await PostAsync(body)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await factory.EventCountAsync("RefundIssued", payment)).ShouldBe(1);
        (await factory.ScalarAsync<decimal>("select (payload->>'refundAmount')::numeric from domain_events where type = 'RefundIssued' and aggregate_id = $1", payment.ToString()))
            .ShouldBe(5m);
    }

    [Fact]
    public async Task StripeWebhook_UnfollowedEventType_AcknowledgedAndIgnored()
    {
        var body = new JsonObject
        {
            ["id"] = "evt_" + Guid.NewGuid().ToString("N"), ["object"] = "event", ["type"] = "customer.created",
            ["data"] = new JsonObject { ["object"] = new JsonObject { ["id"] = "cus_123", ["object"] = "customer" } },
        }.ToJsonString();

        (await (await PostAsync(body)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("result").ShouldBe("ignored");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private async Task<(Guid Payment, string Intent)> PendingPaymentAsync()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_processing_test"));
        var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);
        outcome.State.ShouldBe(PaymentState.Pending);
        return (outcome.PaymentId, await factory.ScalarAsync<string>("select provider_reference from payments where id = $1", outcome.PaymentId));
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? signature = null)
    {
        using var client = factory.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signature ?? PaymentsFactory.StripeSignature(body, Now()));
        return await client.SendAsync(request);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string IntentEvent(string eventId, string type, string intent, Guid payment, string status, string? declineCode = null)
    {
        var pi = new JsonObject
        {
            ["id"] = intent, ["object"] = "payment_intent", ["amount"] = 1250, ["currency"] = "dkk", ["status"] = status,
            ["metadata"] = new JsonObject { ["payment_id"] = payment.ToString() },
        };
        if (declineCode is not null)
            pi["last_payment_error"] = new JsonObject { ["type"] = "card_error", ["code"] = "card_declined", ["decline_code"] = declineCode, ["message"] = "Your card was declined." };
        return Event(eventId, type, pi);
    }

    private static string ChargeRefundedEvent(string eventId, string intent, Guid payment, string refundId, long amount) =>
        Event(eventId, "charge.refunded", new JsonObject
        {
            ["id"] = "ch_" + intent[3..], ["object"] = "charge", ["amount"] = 1250, ["amount_refunded"] = amount, ["currency"] = "dkk",
            ["payment_intent"] = intent, ["refunded"] = false, ["status"] = "succeeded",
            ["metadata"] = new JsonObject { ["payment_id"] = payment.ToString() },
            ["refunds"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = refundId, ["object"] = "refund", ["amount"] = amount, ["currency"] = "dkk", ["payment_intent"] = intent, ["status"] = "succeeded",
                }),
            },
        });

    private static string Event(string id, string type, JsonObject obj) => new JsonObject
    {
        ["id"] = id, ["object"] = "event", ["api_version"] = "2024-06-20", ["created"] = Now(), ["type"] = type, ["livemode"] = false,
        ["data"] = new JsonObject { ["object"] = obj },
    }.ToJsonString();
}
