using System.Text.Json;

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

/// <summary>A purpose as the ledger stores it (and JSON shows it): snake_case text.</summary>
public static class PaymentPurposeText
{
    public static string Of(PaymentPurpose purpose) => JsonNamingPolicy.SnakeCaseLower.ConvertName(purpose.ToString());

    public static PaymentPurpose Parse(string text) => Enum.GetValues<PaymentPurpose>().First(p => Of(p) == text);
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
/// outcome and never charges twice. <see cref="TimeZone"/> is the IANA zone of the place paid for: its receipt shows
/// times in it.
/// </summary>
public sealed record ChargeRequest(
    Guid TenantId, Guid DriverId, PaymentPurpose Purpose, Guid ReferenceId, decimal Amount, string Currency, string IdempotencyKey, string Description,
    string? TimeZone = null);

public sealed record PaymentOutcome(
    Guid PaymentId, PaymentState State, string Provider, decimal Amount, string Currency, string? FailureCode, string? FailureMessage);

/// <summary>A refund of (part of) a succeeded payment; idempotent by key like a charge.</summary>
public sealed record RefundRequest(Guid PaymentId, decimal Amount, string IdempotencyKey, string Reason);

public sealed record RefundOutcome(Guid RefundId, Guid PaymentId, PaymentState State, decimal Amount, string Currency, string? FailureMessage);

/// <summary>
/// A payment that moved to a new state (the provider's answer to the charge, or a webhook later), told to the modules
/// waiting for payments. The amount is what was charged, so a handler can refund it without reading the ledger.
/// </summary>
public sealed record PaymentSettled(Guid PaymentId, PaymentPurpose Purpose, Guid ReferenceId, PaymentState State, decimal Amount, string Currency);

/// <summary>A payment of a reservation or session, in any state, with what it paid for.</summary>
public sealed record ReferencePayment(Guid ReferenceId, PaymentPurpose Purpose, PaymentOutcome Payment);

/// <summary>The Payments module's face to the rest of the platform (Reservations, Sessions).</summary>
public interface IPaymentService
{
    Task<PaymentOutcome> ChargeAsync(ChargeRequest request, CancellationToken ct);

    Task<RefundOutcome> RefundAsync(RefundRequest request, CancellationToken ct);

    /// <summary>Succeeded payments for a reservation or session, to decide refunds.</summary>
    Task<IReadOnlyList<PaymentOutcome>> PaymentsForAsync(Guid referenceId, CancellationToken ct);

    /// <summary>
    /// Every payment of these reservations or sessions, in any state, for a module about to give up on them (a hold
    /// expiring). A charge still in flight whose lease ran out (its process died before the provider's answer was
    /// recorded) is first driven to an outcome under its own idempotency keys, so "pending" means the provider itself
    /// has not decided. Unlike a charge, a provider that cannot be reached is no error here: the payment stays pending.
    /// </summary>
    Task<IReadOnlyList<ReferencePayment>> ReconcileAsync(IReadOnlyCollection<Guid> referenceIds, CancellationToken ct);
}

/// <summary>
/// Implemented by modules that wait for payments. Every state a payment moves to is announced to every registered
/// handler at least once: after the move commits, and again by the payments job if a handler failed or the process died
/// before all of them had it. So handlers must be idempotent, and may hear a state again after a later one.
/// </summary>
public interface IPaymentSettledHandler
{
    Task HandleAsync(PaymentSettled settled, CancellationToken ct);
}

/// <summary>One of a driver's payments as they see it: what it paid for, how much, how it stands and what came back.</summary>
public sealed record DriverPayment(Guid PaymentId, Guid ReferenceId, PaymentPurpose Purpose, string? Description, decimal Amount, string Currency,
    PaymentState State, decimal Refunded, DateTimeOffset At);

/// <summary>A driver's own payments, for the places that show them to that driver (the chat assistant).</summary>
public interface IDriverPayments
{
    /// <summary>The driver's latest payments, newest first; refunded counts only refunds that went through.</summary>
    Task<IReadOnlyList<DriverPayment>> RecentAsync(Guid driverId, int limit, CancellationToken ct);
}

/// <summary>What a reservation or session brought in over a window (charges minus refunds), for per-lot reports.</summary>
public sealed record ReferenceRevenue(Guid ReferenceId, string Purpose, string Currency, decimal Net);

/// <summary>Money from the ledger for modules that attribute it to lots (reports, alerts).</summary>
public interface IRevenueReports
{
    /// <summary>Every day of [from, to) that had money in or out, per currency, oldest first (every tenant's for null).</summary>
    Task<IReadOnlyList<RevenueDay>> ByDayAsync(Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);

    /// <summary>Net revenue per reservation or session over [from, to) (every tenant's for null).</summary>
    Task<IReadOnlyList<ReferenceRevenue>> ByReferenceAsync(Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
}

/// <summary>The payment providers' circuit breakers on this node (each node has its own).</summary>
public interface IPaymentProviderHealth
{
    /// <summary>Providers whose breaker is open now (failing fast, so their payments fail over or fail).</summary>
    IReadOnlyList<string> OpenCircuits();
}

/// <summary>One UTC day's takings in one currency: succeeded charges made that day minus refunds made that day.</summary>
public sealed record RevenueDay(DateOnly Day, string Currency, decimal Charged, decimal Refunded, decimal Net);
