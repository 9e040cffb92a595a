using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

/// <summary>A breaker that opens after two failures and probes again after half a second (Polly's shortest break).</summary>
public sealed class FailoverFactory : PaymentsFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Payments:Resilience:BreakerMinimumThroughput"] = "2";
        settings["Payments:Resilience:BreakerFailureRatio"] = "0.5";
        settings["Payments:Resilience:BreakerSamplingMilliseconds"] = "30000";
        settings["Payments:Resilience:BreakerBreakMilliseconds"] = "500";
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
    public async Task ChargeAsync_StripeDownAndNoPayPalMethod_FailsAsProviderUnavailable()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        factory.Stripe.Mode = FakeStripe.Behaviour.Unavailable;
        try
        {
            var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

            outcome.State.ShouldBe(PaymentState.Failed);
            outcome.FailureCode.ShouldBe("provider_unavailable");
        }
        finally { factory.Stripe.Mode = FakeStripe.Behaviour.Normal; }
        await Poll.UntilAsync(() => factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None),
            o => o.State == PaymentState.Succeeded, TimeSpan.FromSeconds(30), "Stripe to take charges again");
    }

    [Fact]
    public async Task ChargeAsync_StripeTimesOut_PayPalTakesPayment()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"), ("paypal", "vault-ok"));
        factory.Stripe.Mode = FakeStripe.Behaviour.Hang;
        try
        {
            var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

            outcome.State.ShouldBe(PaymentState.Succeeded);
            outcome.Provider.ShouldBe("paypal");
            factory.Stripe.CallsFor(outcome.PaymentId).ShouldNotBeEmpty();
        }
        finally { factory.Stripe.Mode = FakeStripe.Behaviour.Normal; }
        await Poll.UntilAsync(() => factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None),
            o => o.Provider == "stripe", TimeSpan.FromSeconds(30), "Stripe to take charges again");
    }
}
