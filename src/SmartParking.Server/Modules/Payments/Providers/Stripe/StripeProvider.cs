using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Payments.Providers.Stripe;

/// <summary>Stripe's REST API (PaymentIntents, Refunds), form-encoded, confirmed off-session with a saved PaymentMethod.</summary>
public sealed class StripeProvider(IHttpClientFactory http, IOptions<PaymentsOptions> options) : IPaymentProvider
{
    public const string HttpClientName = "payments-stripe";

    public string Name => ProviderNames.Stripe;

    public async Task<ProviderCharge> ChargeAsync(long amountMinor, string currency, ProviderToken token, string idempotencyKey, ChargeMetadata metadata, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("amount", amountMinor.ToString(CultureInfo.InvariantCulture)),
            new("currency", currency.ToLowerInvariant()),
            new("payment_method", token.Token),
            new("confirm", "true"),
            new("off_session", "true"),
            new("description", metadata.Description),
            new("metadata[payment_id]", metadata.PaymentId.ToString()),
            new("metadata[reference_id]", metadata.ReferenceId.ToString()),
            new("metadata[purpose]", metadata.Purpose.ToString()),
        };
        if (token.Customer is not null) form.Add(new("customer", token.Customer));
        var (status, body, shouldRetry) = await PostAsync("/v1/payment_intents", form, idempotencyKey, ct);
        if (status == HttpStatusCode.OK)
        {
            var intent = body.RootElement;
            return FromIntent(intent.StringOf("id"), intent.StringOf("status"), intent);
        }
        var error = Error(body);
        if (IsTransient(status, shouldRetry)) throw new TransientProviderException(Name, $"HTTP {(int)status} {error.Code}");
        // An off-session payment that needs the customer (3-D Secure) cannot be completed now: Stripe answers 402
        // authentication_required and leaves the intent in requires_payment_method.
        var intentId = body.RootElement.TryGetProperty("error", out var e) && e.TryGetProperty("payment_intent", out var pi) && pi.ValueKind == JsonValueKind.Object
            ? pi.StringOf("id") : null;
        return new ProviderCharge(PaymentState.Failed, intentId, error.DeclineCode ?? error.Code ?? error.Type ?? "stripe_error", error.Message);
    }

    public async Task<ProviderRefund> RefundAsync(string providerReference, long amountMinor, string currency, string idempotencyKey, Guid refundId, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("payment_intent", providerReference),
            new("amount", amountMinor.ToString(CultureInfo.InvariantCulture)),
            new("metadata[refund_id]", refundId.ToString()),
        };
        var (status, body, shouldRetry) = await PostAsync("/v1/refunds", form, idempotencyKey, ct);
        if (status == HttpStatusCode.OK)
        {
            var refund = body.RootElement;
            return new ProviderRefund(RefundState(refund.StringOf("status")), refund.StringOf("id"), refund.StringOf("failure_reason"));
        }
        var error = Error(body);
        if (IsTransient(status, shouldRetry)) throw new TransientProviderException(Name, $"HTTP {(int)status} {error.Code}");
        return new ProviderRefund(PaymentState.Failed, null, error.Message ?? error.Code);
    }

    internal static ProviderCharge FromIntent(string? id, string? status, JsonElement intent) => status switch
    {
        "succeeded" => new(PaymentState.Succeeded, id, null, null),
        // processing: the bank has not answered yet; requires_capture would only come with manual capture, which we do not use.
        "processing" or "requires_capture" or "requires_confirmation" => new(PaymentState.Pending, id, null, null),
        _ => new(PaymentState.Failed, id, LastError(intent, "decline_code") ?? LastError(intent, "code") ?? status ?? "unknown",
            LastError(intent, "message") ?? $"Stripe left the payment in status '{status}'."),
    };

    internal static PaymentState RefundState(string? status) => status switch
    {
        "succeeded" => PaymentState.Succeeded,
        "failed" or "canceled" => PaymentState.Failed,
        _ => PaymentState.Pending,
    };

    private static string? LastError(JsonElement intent, string field) =>
        intent.TryGetProperty("last_payment_error", out var e) && e.ValueKind == JsonValueKind.Object ? e.StringOf(field) : null;

    // Stripe says when a retry is safe (Stripe-Should-Retry); otherwise 409 (a concurrent request with the same key), 429 and 5xx are.
    private static bool IsTransient(HttpStatusCode status, bool? shouldRetry) =>
        shouldRetry ?? (status is HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests || (int)status >= 500);

    private async Task<(HttpStatusCode Status, JsonDocument Body, bool? ShouldRetry)> PostAsync(
        string path, List<KeyValuePair<string, string>> form, string idempotencyKey, CancellationToken ct)
    {
        var client = http.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.Value.Stripe.BaseUrl), path))
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.Stripe.SecretKey);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        try
        {
            using var response = await client.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            bool? shouldRetry = response.Headers.TryGetValues("Stripe-Should-Retry", out var values) ? values.FirstOrDefault() == "true" : null;
            JsonDocument body;
            try { body = JsonDocument.Parse(text.Length == 0 ? "{}" : text); }
            catch (JsonException) when ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throw new TransientProviderException(Name, $"HTTP {(int)response.StatusCode} without a JSON body");
            }
            return (response.StatusCode, body, shouldRetry);
        }
        catch (HttpRequestException e) { throw new TransientProviderException(Name, "network error: " + e.Message, e); }
    }

    private sealed record StripeError(string? Type, string? Code, string? DeclineCode, string? Message);

    private static StripeError Error(JsonDocument body) =>
        body.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
            ? new StripeError(e.StringOf("type"), e.StringOf("code"), e.StringOf("decline_code"), e.StringOf("message"))
            : new StripeError(null, null, null, null);
}
