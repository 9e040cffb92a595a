using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Platform.Errors;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

public sealed class StripeChargeTests(PaymentsFactory factory) : IClassFixture<PaymentsFactory>
{
    [Fact]
    public async Task ChargeAsync_StripeMethod_SucceedsWithMinorUnitsAndIdempotencyKey()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var request = factory.Charge(driver, amount: 12.50m);

        var outcome = await factory.Payments.ChargeAsync(request, CancellationToken.None);

        outcome.State.ShouldBe(PaymentState.Succeeded);
        outcome.Provider.ShouldBe("stripe");
        outcome.Amount.ShouldBe(12.50m);
        var call = factory.Stripe.CallsFor(outcome.PaymentId).ShouldHaveSingleItem();
        call.Path.ShouldBe("/v1/payment_intents");
        call.Authorization.ShouldBe("Bearer " + FakeStripe.SecretKey);
        call.IdempotencyKey.ShouldNotBeNullOrWhiteSpace();
        call.Form["amount"].ShouldBe("1250");
        call.Form["currency"].ShouldBe("dkk");
        call.Form["payment_method"].ShouldBe("pm_card_visa");
        call.Form["confirm"].ShouldBe("true");
        call.Form["off_session"].ShouldBe("true");
        call.Form["metadata[reference_id]"].ShouldBe(request.ReferenceId.ToString());
        (await factory.ScalarAsync<string>("select provider_reference from payments where id = $1", outcome.PaymentId)).ShouldStartWith("pi_");
        (await factory.ScalarAsync<decimal>("select amount from payments where id = $1", outcome.PaymentId)).ShouldBe(12.50m);
    }

    [Fact]
    public async Task ChargeAsync_SameKeyTwice_OneProviderCallSameOutcome()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var request = factory.Charge(driver);

        var first = await factory.Payments.ChargeAsync(request, CancellationToken.None);
        var second = await factory.Payments.ChargeAsync(request, CancellationToken.None);

        second.ShouldBe(first);
        factory.Stripe.CallsFor(first.PaymentId).Count.ShouldBe(1);
        (await factory.ScalarAsync<long>("select count(*) from payments where driver_id = $1", driver.Id)).ShouldBe(1);
    }

    [Fact]
    public async Task ChargeAsync_ConcurrentSameKey_OneProviderCall()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var request = factory.Charge(driver);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => factory.Payments.ChargeAsync(request, CancellationToken.None))));

        outcomes.Select(o => o.PaymentId).Distinct().ShouldHaveSingleItem();
        outcomes.ShouldAllBe(o => o.State == PaymentState.Succeeded);
        factory.Stripe.CallsFor(outcomes[0].PaymentId).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ChargeAsync_SameKeyDifferentAmount_Conflict()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var request = factory.Charge(driver);
        await factory.Payments.ChargeAsync(request, CancellationToken.None);

        await Should.ThrowAsync<ConflictException>(() => factory.Payments.ChargeAsync(request with { Amount = 99m }, CancellationToken.None));
    }

    [Fact]
    public async Task ChargeAsync_Declined_FailedWithDeclineCodeNoRetryNoFailover()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_chargeDeclinedInsufficientFunds"), ("paypal", "vault-ok"));

        var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

        outcome.State.ShouldBe(PaymentState.Failed);
        outcome.Provider.ShouldBe("stripe");
        outcome.FailureCode.ShouldBe("insufficient_funds");
        factory.Stripe.CallsFor(outcome.PaymentId).Count.ShouldBe(1);
        factory.PayPal.OrdersFor(outcome.PaymentId).ShouldBeEmpty();
    }

    [Fact]
    public async Task ChargeAsync_NoPaymentMethod_FailedAndRecorded()
    {
        var driver = await factory.RegisterDriverAsync();

        var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

        outcome.State.ShouldBe(PaymentState.Failed);
        outcome.FailureCode.ShouldBe("no_payment_method");
        (await factory.StateOfAsync(outcome.PaymentId)).ShouldBe("failed");
    }

    [Fact]
    public async Task ChargeAsync_ZeroOrTooPreciseAmount_ValidationError()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));

        (await Should.ThrowAsync<ValidationException>(() => factory.Payments.ChargeAsync(factory.Charge(driver, amount: 0m), CancellationToken.None)))
            .Errors.Keys.ShouldContain("amount");
        (await Should.ThrowAsync<ValidationException>(() => factory.Payments.ChargeAsync(factory.Charge(driver, amount: 1.005m), CancellationToken.None)))
            .Errors.Keys.ShouldContain("amount");
    }

    [Fact]
    public async Task RefundAsync_PartialThenRest_StripeRefundsAndOverRefundIsRefused()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var payment = await factory.Payments.ChargeAsync(factory.Charge(driver, amount: 20m), CancellationToken.None);
        var intent = await factory.ScalarAsync<string>("select provider_reference from payments where id = $1", payment.PaymentId);

        var first = await factory.Payments.RefundAsync(new RefundRequest(payment.PaymentId, 5m, "cancel-1", "Cancelled early"), CancellationToken.None);
        var again = await factory.Payments.RefundAsync(new RefundRequest(payment.PaymentId, 5m, "cancel-1", "Cancelled early"), CancellationToken.None);
        var rest = await factory.Payments.RefundAsync(new RefundRequest(payment.PaymentId, 15m, "cancel-2", "Rest"), CancellationToken.None);

        first.State.ShouldBe(PaymentState.Succeeded);
        again.ShouldBe(first);
        rest.State.ShouldBe(PaymentState.Succeeded);
        var refundCalls = factory.Stripe.Calls.Where(c => c.Path == "/v1/refunds" && c.Form["payment_intent"] == intent).ToList();
        refundCalls.Select(c => c.Form["amount"]).Order().ShouldBe(["1500", "500"]);
        refundCalls.ShouldAllBe(c => c.IdempotencyKey != null);
        await Should.ThrowAsync<ConflictException>(() => factory.Payments.RefundAsync(new RefundRequest(payment.PaymentId, 0.01m, "cancel-3", "Too much"), CancellationToken.None));
        (await factory.ScalarAsync<decimal>("select sum(amount) from refunds where payment_id = $1 and state = 'succeeded'", payment.PaymentId)).ShouldBe(20m);
    }

    [Fact]
    public async Task ChargeAsync_SucceededThenSameKeyAgain_RecordsOnePaymentSucceeded()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var request = factory.Charge(driver, amount: 7.50m);

        var outcome = await factory.Payments.ChargeAsync(request, CancellationToken.None);
        await factory.Payments.ChargeAsync(request, CancellationToken.None);

        (await factory.EventCountAsync("PaymentSucceeded", outcome.PaymentId)).ShouldBe(1);
        (await factory.ScalarAsync<decimal>("select (payload->'payment'->>'amount')::numeric from domain_events where type = 'PaymentSucceeded' and aggregate_id = $1",
            outcome.PaymentId.ToString())).ShouldBe(7.50m);
    }

    [Fact]
    public async Task ChargeAsync_Declined_RecordsOnePaymentFailedWithTheCode()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_chargeDeclinedInsufficientFunds"));

        var outcome = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

        (await factory.EventCountAsync("PaymentFailed", outcome.PaymentId)).ShouldBe(1);
        (await factory.EventCountAsync("PaymentSucceeded", outcome.PaymentId)).ShouldBe(0);
        (await factory.ScalarAsync<string>("select payload->>'failureCode' from domain_events where type = 'PaymentFailed' and aggregate_id = $1", outcome.PaymentId.ToString()))
            .ShouldBe("insufficient_funds");
    }

    [Fact]
    public async Task RefundAsync_Succeeded_RecordsRefundIssuedOncePerRefund()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var payment = await factory.Payments.ChargeAsync(factory.Charge(driver, amount: 20m), CancellationToken.None);

        var refund = await factory.Payments.RefundAsync(new RefundRequest(payment.PaymentId, 5m, "events-1", "Cancelled early"), CancellationToken.None);
        await factory.Payments.RefundAsync(new RefundRequest(payment.PaymentId, 5m, "events-1", "Cancelled early"), CancellationToken.None);

        (await factory.EventCountAsync("RefundIssued", payment.PaymentId)).ShouldBe(1);
        (await factory.ScalarAsync<string>("select payload->>'refundId' from domain_events where type = 'RefundIssued' and aggregate_id = $1", payment.PaymentId.ToString()))
            .ShouldBe(refund.RefundId.ToString());
    }

    [Fact]
    public async Task PaymentsForAsync_Reference_ReturnsItsSucceededPayments()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var reference = Guid.NewGuid();
        var paid = await factory.Payments.ChargeAsync(factory.Charge(driver, referenceId: reference), CancellationToken.None);
        var extension = await factory.Payments.ChargeAsync(factory.Charge(driver, amount: 3m, referenceId: reference, purpose: PaymentPurpose.ReservationExtension), CancellationToken.None);
        await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

        var payments = await factory.Payments.PaymentsForAsync(reference, CancellationToken.None);

        payments.Select(p => p.PaymentId).Order().ShouldBe(new[] { paid.PaymentId, extension.PaymentId }.Order());
    }

    [Fact]
    public async Task ChargeAsync_ProviderAnswers_TheOutcomeIsAnnouncedOnceAndMarkedAnnounced()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var declined = await factory.DriverWithAsync(("stripe", "pm_card_chargeDeclined"));

        var paid = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);
        var failed = await factory.Payments.ChargeAsync(factory.Charge(declined), CancellationToken.None);

        factory.Settled.Received.Where(s => s.PaymentId == paid.PaymentId).Select(s => (s.State, s.Amount)).ShouldBe([(PaymentState.Succeeded, 12.50m)]);
        factory.Settled.Received.Where(s => s.PaymentId == failed.PaymentId).Select(s => s.State).ShouldBe([PaymentState.Failed]);
        foreach (var id in new[] { paid.PaymentId, failed.PaymentId })
            (await factory.ScalarAsync<string>("select settlement_version || '/' || announced_version from payments where id = $1", id)).ShouldBe("1/1");
    }

    [Fact]
    public async Task ReconcileAsync_References_EveryPaymentInAnyStateWithItsPurpose()
    {
        var driver = await factory.DriverWithAsync(("stripe", "pm_card_visa"));
        var declined = await factory.DriverWithAsync(("stripe", "pm_card_chargeDeclined"));
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        var paid = await factory.Payments.ChargeAsync(factory.Charge(driver, referenceId: first), CancellationToken.None);
        var extension = await factory.Payments.ChargeAsync(factory.Charge(driver, amount: 3m, referenceId: first, purpose: PaymentPurpose.ReservationExtension), CancellationToken.None);
        var failed = await factory.Payments.ChargeAsync(factory.Charge(declined, referenceId: second), CancellationToken.None);
        await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);

        var payments = await factory.Payments.ReconcileAsync([first, second], CancellationToken.None);

        payments.Select(p => (p.ReferenceId, p.Purpose, p.Payment.PaymentId, p.Payment.State)).ShouldBe([
            (first, PaymentPurpose.Reservation, paid.PaymentId, PaymentState.Succeeded),
            (first, PaymentPurpose.ReservationExtension, extension.PaymentId, PaymentState.Succeeded),
            (second, PaymentPurpose.Reservation, failed.PaymentId, PaymentState.Failed),
        ], ignoreOrder: true);
    }
}
