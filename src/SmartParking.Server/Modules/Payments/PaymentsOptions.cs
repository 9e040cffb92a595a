using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Payments;

public sealed class PaymentsOptions
{
    public const string Section = "Payments";

    public StripeOptions Stripe { get; set; } = new();
    public PayPalOptions PayPal { get; set; } = new();
    public SandboxOptions Sandbox { get; set; } = new();
    public ResilienceOptions Resilience { get; set; } = new();

    /// <summary>
    /// How long a charge in flight holds its idempotency key: a concurrent call with the same key waits this long for the
    /// first to finish before it drives the (idempotent) provider call itself.
    /// </summary>
    [Range(1, 3600)] public int ChargeLeaseSeconds { get; set; } = 120;

    /// <summary>
    /// How long a payment's new state may wait for every settlement handler to take it before the payments job
    /// announces it again (the process died in between, or a handler failed); also the wait between such retries.
    /// </summary>
    [Range(1, 3600)] public int SettlementGraceSeconds { get; set; } = 30;

    public bool StripeEnabled => !string.IsNullOrWhiteSpace(Stripe.SecretKey);
    public bool PayPalEnabled => !string.IsNullOrWhiteSpace(PayPal.ClientId) && !string.IsNullOrWhiteSpace(PayPal.ClientSecret);

    /// <summary>The sandbox is on when asked for, and by default only while no real provider is configured.</summary>
    public bool SandboxEnabled => Sandbox.Enabled ?? !(StripeEnabled || PayPalEnabled);
}

public sealed class StripeOptions
{
    public string? SecretKey { get; set; }
    public string? WebhookSecret { get; set; }
    [Required, Url] public string BaseUrl { get; set; } = "https://api.stripe.com";
    /// <summary>How far a Stripe-Signature timestamp may be from now; older deliveries are treated as replays.</summary>
    [Range(1, 86_400)] public int WebhookToleranceSeconds { get; set; } = 300;
}

public sealed class PayPalOptions
{
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? WebhookId { get; set; }
    [Required, Url] public string BaseUrl { get; set; } = "https://api-m.sandbox.paypal.com";
}

public sealed class SandboxOptions
{
    /// <summary>Null: on only when neither Stripe nor PayPal is configured.</summary>
    public bool? Enabled { get; set; }
}

public sealed class ResilienceOptions
{
    /// <summary>Per attempt.</summary>
    [Range(10, 120_000)] public int TimeoutMilliseconds { get; set; } = 10_000;
    [Range(0, 10)] public int MaxRetryAttempts { get; set; } = 2;
    [Range(1, 60_000)] public int RetryBaseDelayMilliseconds { get; set; } = 200;
    [Range(0.01, 1.0)] public double BreakerFailureRatio { get; set; } = 0.5;
    [Range(2, 10_000)] public int BreakerMinimumThroughput { get; set; } = 5;
    [Range(500, 3_600_000)] public int BreakerSamplingMilliseconds { get; set; } = 30_000;
    [Range(500, 3_600_000)] public int BreakerBreakMilliseconds { get; set; } = 30_000;
}
