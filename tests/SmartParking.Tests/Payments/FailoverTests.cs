using SmartParking.Server.Platform.Errors;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

/// <summary>A breaker that opens after two failures and probes again after three seconds (long enough to see it open on a busy box).</summary>
public sealed class FailoverFactory : PaymentsFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Payments:Resilience:BreakerMinimumThroughput"] = "2";
        settings["Payments:Resilience:BreakerFailureRatio"] = "0.5";
        settings["Payments:Resilience:BreakerSamplingMilliseconds"] = "30000";
        settings["Payments:Resilience:BreakerBreakMilliseconds"] = "3000";
        settings["Payments:Resilience:TimeoutMilliseconds"] = "1500";
    }

    public CircuitState StripeCircuit => Services.GetRequiredService<ProviderResilience>().StateOf("stripe");
}

public sealed class FailoverTests(FailoverFactory factory) : IClassFixture<FailoverFactory>
{
    [Fact]
    public async Task ChargeAsync_StripeDown_PayPalTakesPaymentAndStripeBreakerClosesAfterRecovery()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"), ("paypal", "vault-ok"));
        factory.Stripe.Mode = FakeStripe.Behaviour.Unavailable;
        try
        {
            var first = factory.Charge(driver);
            var failedOver = await factory.Payments.ChargeAsync(first, CancellationToken.None);

            failedOver.State.ShouldBe(PaymentState.Succeeded);
            failedOver.Provider.ShouldBe("paypal");
            // Retried on 503, but the breaker opened before the retries ran out.
            factory.Stripe.CallsFor(failedOver.PaymentId).Count.ShouldBeInRange(2, 3);
            factory.Stripe.CallsFor(failedOver.PaymentId).Select(c => c.IdempotencyKey).Distinct().ShouldHaveSingleItem();
            var order = factory.PayPal.OrdersFor(failedOver.PaymentId).ShouldHaveSingleItem();
            order.RequestId.ShouldNotBeNullOrWhiteSpace();
            order.RequestId.ShouldNotBe(factory.Stripe.CallsFor(failedOver.PaymentId)[0].IdempotencyKey);
            factory.StripeCircuit.ShouldBe(CircuitState.Open);

            // While open, Stripe is not even asked.
            var whileOpen = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);
            whileOpen.Provider.ShouldBe("paypal");
            factory.Stripe.CallsFor(whileOpen.PaymentId).ShouldBeEmpty();

            // Our own retry of the first request charges nobody again.
            (await factory.Payments.ChargeAsync(first, CancellationToken.None)).ShouldBe(failedOver);
            factory.PayPal.OrdersFor(failedOver.PaymentId).Count.ShouldBe(1);
        }
        finally { factory.Stripe.Mode = FakeStripe.Behaviour.Normal; }

        // After the break a probe reaches Stripe again; its success closes the breaker.
        var viaStripe = await Poll.UntilAsync(() => factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None),
            o => o.Provider == "stripe", TimeSpan.FromSeconds(30), "a charge through Stripe after it recovered");
        viaStripe.State.ShouldBe(PaymentState.Succeeded);
        factory.StripeCircuit.ShouldBe(CircuitState.Closed);
    }

    [Fact]
    public async Task ChargeAsync_StripeDownAndNoPayPalMethod_UnavailableThenTheSameKeyChargesOnceStripeIsBack()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var charge = factory.Charge(driver);
        factory.Stripe.Mode = FakeStripe.Behaviour.Unavailable;
        try
        {
            var refused = await Should.ThrowAsync<ServiceUnavailableException>(() => factory.Payments.ChargeAsync(charge, CancellationToken.None));

            refused.RetryAfter.ShouldBeGreaterThan(TimeSpan.Zero);
            (await factory.ScalarAsync<string>("select state from payments where idempotency_key = $1", charge.IdempotencyKey)).ShouldBe("pending");
        }
        finally { factory.Stripe.Mode = FakeStripe.Behaviour.Normal; }
        // Not a decline: the same request goes through once Stripe answers again (after its breaker lets a probe through).
        var paid = await Poll.UntilAsync(async () =>
        {
            try { return await factory.Payments.ChargeAsync(charge, CancellationToken.None); }
            catch (ServiceUnavailableException) { return null; }
        }, o => o?.State == PaymentState.Succeeded, TimeSpan.FromSeconds(30), "Stripe to take the charge again");
        (await factory.ScalarAsync<long>("select count(*) from payments where idempotency_key = $1", charge.IdempotencyKey)).ShouldBe(1);
        factory.Stripe.CallsFor(paid!.PaymentId).Select(c => c.IdempotencyKey).Distinct().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task RefundAsync_StripeDown_StaysPendingThenTheSameKeyRefundsOnce()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var paid = await factory.Payments.ChargeAsync(factory.Charge(driver, amount: 20m), CancellationToken.None);
        var refund = new RefundRequest(paid.PaymentId, 5m, Guid.NewGuid().ToString(), "Cancelled");
        factory.Stripe.Mode = FakeStripe.Behaviour.Unavailable;
        try
        {
            await Should.ThrowAsync<ServiceUnavailableException>(() => factory.Payments.RefundAsync(refund, CancellationToken.None));
            (await factory.ScalarAsync<string>("select state from refunds where payment_id = $1", paid.PaymentId)).ShouldBe("pending");
        }
        finally { factory.Stripe.Mode = FakeStripe.Behaviour.Normal; }

        var done = await Poll.UntilAsync(async () =>
        {
            try { return await factory.Payments.RefundAsync(refund, CancellationToken.None); }
            catch (ServiceUnavailableException) { return null; }
        }, r => r?.State == PaymentState.Succeeded, TimeSpan.FromSeconds(30), "the refund to go through once Stripe answers");

        done!.Amount.ShouldBe(5m);
        (await factory.ScalarAsync<long>("select count(*) from refunds where payment_id = $1", paid.PaymentId)).ShouldBe(1);
    }

    [Fact]
    public async Task ChargeAsync_StripeTimesOut_PayPalTakesPaymentAndALateStripeChargeIsRefunded()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"), ("paypal", "vault-ok"));
        factory.Stripe.Mode = FakeStripe.Behaviour.Hang;
        try
        {
            var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

            outcome.State.ShouldBe(PaymentState.Succeeded);
            outcome.Provider.ShouldBe("paypal");
            factory.Stripe.CallsFor(outcome.PaymentId).ShouldNotBeEmpty();

            // A timeout is ambiguous: Stripe did charge after all, and says so later. That second charge goes back.
            factory.Stripe.Mode = FakeStripe.Behaviour.Normal;
            var intent = "pi_" + Guid.NewGuid().ToString("N")[..24];
            var body = new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = "evt_" + Guid.NewGuid().ToString("N"), ["object"] = "event", ["type"] = "payment_intent.succeeded",
                ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["livemode"] = false,
                ["data"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["object"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["id"] = intent, ["object"] = "payment_intent", ["amount"] = 1250, ["currency"] = "dkk", ["status"] = "succeeded",
                        ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["payment_id"] = outcome.PaymentId.ToString() },
                    },
                },
            }.ToJsonString();
            using var client = factory.Anonymous();
            // Stripe redelivers an event until it gets a 2xx; while its breaker is still open the refund cannot go out (503).
            await Poll.UntilAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/webhooks/stripe") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("Stripe-Signature", PaymentsFactory.StripeSignature(body, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
                using var response = await client.SendAsync(request);
                return response.StatusCode;
            }, status => status == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the redelivered event to be taken");

            var refund = factory.Stripe.Calls.Where(c => c.Path == "/v1/refunds" && c.Form.GetValueOrDefault("payment_intent") == intent).ShouldHaveSingleItem();
            refund.Form["amount"].ShouldBe("1250");
            (await factory.StateOfAsync(outcome.PaymentId)).ShouldBe("succeeded");
        }
        finally { factory.Stripe.Mode = FakeStripe.Behaviour.Normal; }
        await Poll.UntilAsync(() => factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None),
            o => o.Provider == "stripe", TimeSpan.FromSeconds(30), "Stripe to take charges again");
    }
}
