namespace SmartParking.Server.Modules.Payments.Providers.Sandbox;

/// <summary>
/// In-process provider for development and the demo: "sandbox_ok" succeeds, "sandbox_decline" is declined, "sandbox_pending"
/// waits for POST /api/v1/payments/sandbox/{paymentId}/settle, which plays the part of the provider's webhook.
/// </summary>
public sealed class SandboxProvider : IPaymentProvider
{
    public string Name => ProviderNames.Sandbox;

    public Task<ProviderCharge> ChargeAsync(long amountMinor, string currency, ProviderToken token, string idempotencyKey, ChargeMetadata metadata, CancellationToken ct) =>
        Task.FromResult(token.Token switch
        {
            SandboxCards.Ok => new ProviderCharge(PaymentState.Succeeded, "sbx_" + metadata.PaymentId.ToString("N"), null, null),
            SandboxCards.Pending => new ProviderCharge(PaymentState.Pending, "sbx_" + metadata.PaymentId.ToString("N"), null, null),
            _ => new ProviderCharge(PaymentState.Failed, "sbx_" + metadata.PaymentId.ToString("N"), "card_declined", "The sandbox declined the payment."),
        });

    public Task<ProviderRefund> RefundAsync(string providerReference, long amountMinor, string currency, string idempotencyKey, Guid refundId, CancellationToken ct) =>
        Task.FromResult(new ProviderRefund(PaymentState.Succeeded, "sbx_re_" + refundId.ToString("N"), null));
}
