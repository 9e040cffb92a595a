using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Payments;

/// <summary>A charge as its events carry it; Purpose and ReferenceId name what it paid for.</summary>
public sealed record PaymentFacts(
    Guid PaymentId, Guid TenantId, Guid DriverId, PaymentPurpose Purpose, Guid ReferenceId, decimal Amount, string Currency, string? TimeZone);

public abstract record PaymentEvent(PaymentFacts Payment) : IDomainEvent
{
    public string AggregateId => Payment.PaymentId.ToString();
    public Guid? TenantId => Payment.TenantId;
}

public sealed record PaymentSucceeded(PaymentFacts Payment) : PaymentEvent(Payment);

public sealed record PaymentFailed(PaymentFacts Payment, string? FailureCode, string? FailureMessage) : PaymentEvent(Payment);

/// <summary>Money went back to the driver (all or part of a payment).</summary>
public sealed record RefundIssued(PaymentFacts Payment, Guid RefundId, decimal RefundAmount, string Reason) : PaymentEvent(Payment);
