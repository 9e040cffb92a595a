namespace SmartParking.Server.Modules.Payments;

/// <summary>A saved provider token. Never card data: the provider holds the card, we hold its reference.</summary>
public sealed class WalletMethod
{
    public Guid Id { get; init; }
    public Guid DriverId { get; init; }
    public string Provider { get; init; } = "";
    public string Token { get; init; } = "";
    public string? Customer { get; init; }
    public string? Label { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A driver's saved payment methods, for the driver pages (and the demo's sandbox card).</summary>
public interface IDriverWallet
{
    Task<IReadOnlyList<WalletMethod>> ForDriverAsync(Guid driverId, CancellationToken ct);

    /// <summary>Saving the same token twice returns the saved method (a retried request is not an error).</summary>
    Task<(WalletMethod Method, bool Created)> AddAsync(WalletMethod method, CancellationToken ct);
}
