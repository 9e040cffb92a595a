namespace SmartParking.Server.Modules.Payments;

public sealed class PaymentView
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public Guid DriverId { get; init; }
    public string Purpose { get; init; } = "";
    public Guid ReferenceId { get; init; }
    public decimal Amount { get; init; }
    public string Currency { get; init; } = "";
    public string State { get; init; } = "";
    public string? Provider { get; init; }
    public string? ProviderReference { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public decimal Refunded { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
