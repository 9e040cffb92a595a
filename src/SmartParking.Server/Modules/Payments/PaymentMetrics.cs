using System.Diagnostics.Metrics;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Observability;

namespace SmartParking.Server.Modules.Payments;

/// <summary>
/// Payment outcomes and money for /metrics, from the committed events: the success rate is succeeded over all
/// outcomes, revenue per hour the rate of revenue less that of refunds, per currency.
/// </summary>
internal sealed class PaymentMetrics : IEventHandler<PaymentSucceeded>, IEventHandler<PaymentFailed>, IEventHandler<RefundIssued>
{
    private static readonly Meter Meter = new(ObservabilityModule.MeterName + ".Payments");
    private static readonly Counter<long> Payments = Meter.CreateCounter<long>("smartparking.payments", "{payment}",
        "Payments decided, by outcome (succeeded, failed) and purpose");
    private static readonly Counter<double> Revenue = Meter.CreateCounter<double>("smartparking.revenue", "{currency_unit}",
        "Money taken by succeeded payments, per currency");
    private static readonly Counter<double> Refunds = Meter.CreateCounter<double>("smartparking.refunds", "{currency_unit}",
        "Money given back by refunds, per currency");

    public Task HandleAsync(PaymentSucceeded domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        var payment = domainEvent.Payment;
        Payments.Add(1, Outcome("succeeded"), Purpose(payment));
        Revenue.Add((double)payment.Amount, Currency(payment), Purpose(payment));
        return Task.CompletedTask;
    }

    public Task HandleAsync(PaymentFailed domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Payments.Add(1, Outcome("failed"), Purpose(domainEvent.Payment));
        return Task.CompletedTask;
    }

    public Task HandleAsync(RefundIssued domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Refunds.Add((double)domainEvent.RefundAmount, Currency(domainEvent.Payment));
        return Task.CompletedTask;
    }

    private static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);

    private static KeyValuePair<string, object?> Purpose(PaymentFacts payment) => new("purpose", payment.Purpose.ToString());

    private static KeyValuePair<string, object?> Currency(PaymentFacts payment) => new("currency", payment.Currency);
}
