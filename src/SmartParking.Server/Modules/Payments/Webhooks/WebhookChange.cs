namespace SmartParking.Server.Modules.Payments.Webhooks;

/// <summary>
/// A verified provider event, reduced to what the ledger needs. The payment is found by our id (sent as metadata) or
/// by the provider's reference, so events that overtake our own bookkeeping still land.
/// </summary>
public sealed record WebhookChange(
    string Provider,
    string EventId,
    string EventType,
    Guid? PaymentId,
    string? PaymentReference,
    PaymentState? PaymentState,
    string? FailureCode,
    string? FailureMessage,
    IReadOnlyList<RefundChange> Refunds);

/// <summary>A refund as the provider reports it; amount in minor units of <see cref="Currency"/>.</summary>
public sealed record RefundChange(Guid? RefundId, string Reference, long AmountMinor, string Currency, PaymentState State, string? FailureMessage);

/// <summary>A webhook that failed verification (forged, tampered or too old): answered 400 and never applied.</summary>
public sealed class WebhookRejectedException(string message) : Exception(message);
