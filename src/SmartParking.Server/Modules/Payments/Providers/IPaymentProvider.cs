namespace SmartParking.Server.Modules.Payments.Providers;

/// <summary>A saved method as a provider needs it: its token, and Stripe's customer when the method belongs to one.</summary>
public sealed record ProviderToken(string Token, string? Customer);

/// <summary>What a provider said about a charge. Declines are answers, not exceptions; only transient trouble throws.</summary>
public sealed record ProviderCharge(PaymentState State, string? Reference, string? FailureCode, string? FailureMessage);

public sealed record ProviderRefund(PaymentState State, string? Reference, string? FailureMessage);

/// <summary>Metadata sent with a charge so a webhook can find the ledger row even before the provider's answer is stored.</summary>
public sealed record ChargeMetadata(Guid PaymentId, PaymentPurpose Purpose, Guid ReferenceId, string Description);

/// <summary>One payment service provider, speaking its own API. Idempotency keys are passed through so retries never double-charge.</summary>
public interface IPaymentProvider
{
    string Name { get; }

    Task<ProviderCharge> ChargeAsync(long amountMinor, string currency, ProviderToken token, string idempotencyKey, ChargeMetadata metadata, CancellationToken ct);

    Task<ProviderRefund> RefundAsync(string providerReference, long amountMinor, string currency, string idempotencyKey, Guid refundId, CancellationToken ct);
}

/// <summary>The provider could not answer (network, timeout, 5xx, 429): worth a retry, and a failover for charges.</summary>
public sealed class TransientProviderException(string provider, string message, Exception? inner = null)
    : Exception($"{provider}: {message}", inner)
{
    public string Provider { get; } = provider;
}
