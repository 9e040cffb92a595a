using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Platform.Http;

public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>Origins allowed to call the API from a browser; empty means no cross-origin access.</summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>Requests per client (user, else IP) per window for the API.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerWindow { get; set; } = 1200;

    /// <summary>
    /// Requests per window to each provider webhook (Telegram, WhatsApp, payment providers). A provider calls from a few
    /// addresses carrying every user's traffic, and each call proves itself by a secret or signature, so the per-IP
    /// limit would throttle a busy bot; this one still bounds what a flood of forged calls can cost.
    /// </summary>
    [Range(1, 10_000_000)]
    public int ProviderWebhookRequestsPerWindow { get; set; } = 60_000;

    /// <summary>Sign-in, registration and refresh attempts per IP per window.</summary>
    [Range(1, 1_000_000)]
    public int AuthRequestsPerWindow { get; set; } = 30;

    [Range(1, 3600)]
    public int WindowSeconds { get; set; } = 60;

    /// <summary>
    /// How long a claimed <c>Idempotency-Key</c> without a stored answer counts as a request still running (409 to a
    /// retry). After it the claim is taken to be from a process that died mid-request, and a retry runs again.
    /// </summary>
    [Range(1, 86_400)]
    public int IdempotencyLeaseSeconds { get; set; } = 120;

    public TimeSpan IdempotencyLease => TimeSpan.FromSeconds(IdempotencyLeaseSeconds);

    [Range(1024, 100_000_000)]
    public long MaxRequestBodyBytes { get; set; } = 1_000_000;

    /// <summary>Larger limit for bulk imports (CSV, FIWARE).</summary>
    [Range(1024, 500_000_000)]
    public long MaxImportBodyBytes { get; set; } = 20_000_000;
}
