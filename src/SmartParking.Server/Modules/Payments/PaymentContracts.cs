namespace SmartParking.Server.Modules.Payments;

/// <summary>What a charge pays for; with the reference id it names the reservation or meter session in the ledger.</summary>
public enum PaymentPurpose
{
    Reservation,
    ReservationExtension,
    CancellationFee,
    NoShow,
    Overstay,
    Session,
}

public enum PaymentState
{
    /// <summary>The provider has not decided yet (a webhook will settle it).</summary>
    Pending,
    Succeeded,
    Failed,
}

/// <summary>
/// A charge of the driver's saved payment method. Repeating a request with the same idempotency key returns the first
/// outcome and never charges twice.
/// </summary>
public sealed record ChargeRequest(
    Guid TenantId, Guid DriverId, PaymentPurpose Purpose, Guid ReferenceId, decimal Amount, string Currency, string IdempotencyKey, string Description);

public sealed record PaymentOutcome(
    Guid PaymentId, PaymentState State, string Provider, decimal Amount, string Currency, string? FailureCode, string? FailureMessage);

/// <summary>A refund of (part of) a succeeded payment; idempotent by key like a charge.</summary>
public sealed record RefundRequest(Guid PaymentId, decimal Amount, string IdempotencyKey, string Reason);

public sealed record RefundOutcome(Guid RefundId, Guid PaymentId, PaymentState State, decimal Amount, string Currency, string? FailureMessage);

/// <summary>A payment whose state the provider settled later (webhook), told to the module that asked for it.</summary>
public sealed record PaymentSettled(Guid PaymentId, PaymentPurpose Purpose, Guid ReferenceId, PaymentState State);

/// <summary>The Payments module's face to the rest of the platform (Reservations, Sessions).</summary>
public interface IPaymentService
{
    Task<PaymentOutcome> ChargeAsync(ChargeRequest request, CancellationToken ct);

    Task<RefundOutcome> RefundAsync(RefundRequest request, CancellationToken ct);

    /// <summary>Succeeded payments for a reservation or session, to decide refunds.</summary>
    Task<IReadOnlyList<PaymentOutcome>> PaymentsForAsync(Guid referenceId, CancellationToken ct);
}

/// <summary>Implemented by modules that wait for a pending payment; every registered handler is told once per settlement.</summary>
public interface IPaymentSettledHandler
{
    Task HandleAsync(PaymentSettled settled, CancellationToken ct);
}
