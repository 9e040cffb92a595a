namespace SmartParking.Server.Modules.Payments.Receipts;

public sealed record ReceiptCharge(Guid PaymentId, string Purpose, string? Description, decimal Amount, string Currency, string State, string Provider,
    string? FailureCode, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record ReceiptRefund(Guid RefundId, Guid PaymentId, decimal Amount, string Currency, string State, string? Reason, DateTimeOffset CreatedAt);

/// <summary>Only succeeded charges and refunds count; pending and failed ones are listed so the driver sees every attempt.</summary>
public sealed record ReceiptTotal(string Currency, decimal Charged, decimal Refunded, decimal Net);

/// <summary>Instants are UTC; <see cref="TimeZone"/> is the zone of the place paid for, in which the PDF shows them.</summary>
public sealed record Receipt(Guid ReferenceId, DateTimeOffset IssuedAt, string? Currency, string TimeZone, IReadOnlyList<ReceiptCharge> Charges,
    IReadOnlyList<ReceiptRefund> Refunds, IReadOnlyList<ReceiptTotal> Totals);
