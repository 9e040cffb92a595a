using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Payments.Webhooks;

namespace SmartParking.Server.Modules.Payments.Providers.PayPal;

/// <summary>PayPal webhooks: verified by PayPal itself (verify-webhook-signature), then mapped to ledger changes.</summary>
public sealed class PayPalWebhooks(PayPalClient client, IOptions<PaymentsOptions> options)
{
    private static readonly string[] TransmissionHeaders =
        ["PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL", "PAYPAL-AUTH-ALGO"];

    public async Task VerifyAsync(IHeaderDictionary headers, string body, CancellationToken ct)
    {
        var webhookId = options.Value.PayPal.WebhookId;
        if (string.IsNullOrWhiteSpace(webhookId)) throw new WebhookRejectedException("No PayPal webhook id is configured.");
        var values = TransmissionHeaders.ToDictionary(h => h, h => headers[h].ToString());
        if (values.FirstOrDefault(v => string.IsNullOrWhiteSpace(v.Value)) is { Key: { } missing })
            throw new WebhookRejectedException($"{missing} header is missing.");
        // The event goes back verbatim: PayPal checks the signature over the bytes it sent, and re-serialising could change them.
        var request = $$"""
            {"auth_algo":{{Quote(values["PAYPAL-AUTH-ALGO"])}},"cert_url":{{Quote(values["PAYPAL-CERT-URL"])}},"transmission_id":{{Quote(values["PAYPAL-TRANSMISSION-ID"])}},"transmission_sig":{{Quote(values["PAYPAL-TRANSMISSION-SIG"])}},"transmission_time":{{Quote(values["PAYPAL-TRANSMISSION-TIME"])}},"webhook_id":{{Quote(webhookId)}},"webhook_event":{{body}}}
            """;
        var reply = await client.PostAsync("/v1/notifications/verify-webhook-signature", request, null, ct);
        if (reply.Status != HttpStatusCode.OK || reply.Body.StringOf("verification_status") != "SUCCESS")
            throw new WebhookRejectedException("PayPal did not verify the webhook signature.");
    }

    public static WebhookChange? Map(JsonElement evt)
    {
        var id = evt.StringOf("id") ?? throw new WebhookRejectedException("Event has no id.");
        var type = evt.StringOf("event_type") ?? throw new WebhookRejectedException("Event has no event_type.");
        var resource = evt.ObjectOf("resource") ?? throw new WebhookRejectedException("Event has no resource.");
        switch (type)
        {
            case "PAYMENT.CAPTURE.COMPLETED":
            case "PAYMENT.CAPTURE.PENDING":
            case "PAYMENT.CAPTURE.DENIED":
            case "PAYMENT.CAPTURE.DECLINED":
                var charge = PayPalProvider.FromCapture(resource);
                return new WebhookChange(ProviderNames.PayPal, id, type, GuidOf(resource.StringOf("custom_id")), resource.StringOf("id"),
                    charge.State, charge.FailureCode, charge.FailureMessage, []);
            case "PAYMENT.CAPTURE.REFUNDED":
            case "PAYMENT.REFUND.COMPLETED":
            case "PAYMENT.REFUND.FAILED":
            case "PAYMENT.REFUND.CANCELLED":
            {
                // The refund names its capture only through its "up" link.
                var captureId = resource.ArrayOf("links").Where(l => l.StringOf("rel") == "up").Select(l => l.StringOf("href")?.Split('/').LastOrDefault()).FirstOrDefault();
                var amount = resource.ObjectOf("amount");
                if (resource.StringOf("id") is not { } refundId || amount?.StringOf("currency_code") is not { } currency
                    || !decimal.TryParse(amount.Value.StringOf("value"), NumberStyles.Number, CultureInfo.InvariantCulture, out var value))
                    return null;
                var refund = new RefundChange(GuidOf(resource.StringOf("custom_id")), refundId, Money.ToMinorUnits(value, currency), currency,
                    PayPalProvider.RefundState(resource.StringOf("status")), resource.ObjectOf("status_details")?.StringOf("reason"));
                return new WebhookChange(ProviderNames.PayPal, id, type, null, captureId, PaymentState.Succeeded, null, null, [refund]);
            }
            default:
                return null;
        }
    }

    private static Guid? GuidOf(string? s) => Guid.TryParse(s, out var g) ? g : null;

    private static string Quote(string s) => JsonSerializer.Serialize(s);
}
