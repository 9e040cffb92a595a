using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Payments.Providers;

public sealed record RoutedCharge(string? Provider, Guid? MethodId, ProviderCharge Charge);

/// <summary>
/// Picks the provider for a charge (Stripe first, PayPal as fallback, the sandbox for development) and fails over when
/// the chosen one cannot answer. A decline never fails over: it is the bank's answer, not an outage.
/// </summary>
public sealed class PaymentRouter(IEnumerable<IPaymentProvider> providers, ProviderResilience resilience, IOptions<PaymentsOptions> options,
    ILogger<PaymentRouter> logger)
{
    private readonly Dictionary<string, IPaymentProvider> _providers = providers.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public bool IsEnabled(string provider) => provider switch
    {
        ProviderNames.Stripe => options.Value.StripeEnabled,
        ProviderNames.PayPal => options.Value.PayPalEnabled,
        ProviderNames.Sandbox => options.Value.SandboxEnabled,
        _ => false,
    };

    /// <summary>The key a provider sees: derived from our ledger row, so a retry of the same request reuses it at every provider.</summary>
    /// <summary>The failure code when every provider that could take the charge was unreachable.</summary>
    public const string Unavailable = "provider_unavailable";

    public static string KeyFor(string provider, Guid paymentId) => $"sp_{paymentId:N}_{provider}";

    public async Task<RoutedCharge> ChargeAsync(IReadOnlyList<WalletMethod> wallet, long amountMinor, string currency, ChargeMetadata metadata, CancellationToken ct)
    {
        // One method per provider, in priority order; within a provider the newest method wins.
        var candidates = wallet.Where(m => IsEnabled(m.Provider))
            .GroupBy(m => m.Provider)
            .Select(g => g.OrderByDescending(m => m.CreatedAt).First())
            .OrderBy(m => Array.IndexOf(ProviderNames.All, m.Provider))
            .ToList();
        if (candidates.Count == 0)
            return new RoutedCharge(null, null, new ProviderCharge(PaymentState.Failed, null, "no_payment_method", "The driver has no usable payment method."));
        string? lastError = null;
        foreach (var method in candidates)
        {
            var provider = _providers[method.Provider];
            try
            {
                var charge = await resilience.For(provider.Name).ExecuteAsync(
                    async token => await provider.ChargeAsync(amountMinor, currency, new ProviderToken(method.Token, method.Customer), KeyFor(provider.Name, metadata.PaymentId), metadata, token),
                    ct);
                return new RoutedCharge(provider.Name, method.Id, charge);
            }
            catch (Exception e) when (ProviderResilience.IsTransient(e) && !ct.IsCancellationRequested)
            {
                lastError = $"{provider.Name}: {e.Message}";
                logger.LogWarning("Charge {PaymentId} could not go through {Provider} ({Error}); trying the next provider", metadata.PaymentId, provider.Name, e.Message);
            }
        }
        return new RoutedCharge(candidates[^1].Provider, candidates[^1].Id, new ProviderCharge(PaymentState.Failed, null, Unavailable, lastError));
    }

    /// <summary>A refund goes to the provider that took the charge; there is nothing to fail over to. Null when it cannot be reached.</summary>
    public async Task<ProviderRefund?> RefundAsync(string provider, string reference, long amountMinor, string currency, Guid refundId, CancellationToken ct)
    {
        var target = _providers[provider];
        try
        {
            return await resilience.For(provider).ExecuteAsync(
                async token => await target.RefundAsync(reference, amountMinor, currency, KeyFor(provider, refundId), refundId, token), ct);
        }
        catch (Exception e) when (ProviderResilience.IsTransient(e) && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Refund {RefundId} could not go through {Provider}: {Error}; it stays pending until retried", refundId, provider, e.Message);
            return null;
        }
    }
}
