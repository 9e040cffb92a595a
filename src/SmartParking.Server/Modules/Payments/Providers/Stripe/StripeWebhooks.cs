using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SmartParking.Server.Modules.Payments.Webhooks;

namespace SmartParking.Server.Modules.Payments.Providers.Stripe;

/// <summary>Stripe-Signature verification and event mapping, per Stripe's "verify webhook signatures manually".</summary>
public static class StripeWebhooks
{
    /// <summary>
    /// Checks "t=…,v1=…[,v1=…]": an HMAC-SHA256 of "{t}.{body}" with the endpoint secret must equal one v1 (several
    /// appear while a secret is rolled), and t must be within the tolerance so a captured delivery cannot be replayed later.
    /// </summary>
    public static void Verify(string? header, string body, string secret, TimeSpan tolerance, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(header)) throw new WebhookRejectedException("Stripe-Signature header is missing.");
        long? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var key = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            if (key == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t)) timestamp = t;
            else if (key == "v1" && TryHex(value, out var sig)) signatures.Add(sig);
        }
        if (timestamp is null) throw new WebhookRejectedException("Stripe-Signature has no timestamp.");
        if (signatures.Count == 0) throw new WebhookRejectedException("Stripe-Signature has no v1 signature.");
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        if (!signatures.Any(s => CryptographicOperations.FixedTimeEquals(s, expected)))
            throw new WebhookRejectedException("Stripe-Signature does not match the payload.");
        var age = now - DateTimeOffset.FromUnixTimeSeconds(timestamp.Value);
        if (age.Duration() > tolerance) throw new WebhookRejectedException("Stripe-Signature timestamp is outside the tolerance.");
    }

    /// <summary>Null for event types the ledger does not follow (they are acknowledged and ignored).</summary>
    public static WebhookChange? Map(JsonElement evt)
    {
        var id = evt.StringOf("id") ?? throw new WebhookRejectedException("Event has no id.");
        var type = evt.StringOf("type") ?? throw new WebhookRejectedException("Event has no type.");
        var obj = evt.ObjectOf("data")?.ObjectOf("object") ?? throw new WebhookRejectedException("Event has no data.object.");
        switch (type)
        {
            case "payment_intent.succeeded":
            case "payment_intent.payment_failed":
            case "payment_intent.processing":
            case "payment_intent.canceled":
                var charge = StripeProvider.FromIntent(obj.StringOf("id"), obj.StringOf("status") ?? StatusOf(type), obj);
                return new WebhookChange(ProviderNames.Stripe, id, type, PaymentIdOf(obj), obj.StringOf("id"), charge.State, charge.FailureCode, charge.FailureMessage, []);
            case "charge.refunded":
            {
                // A refund implies the charge succeeded, whichever of the two events arrives first.
                var refunds = obj.ObjectOf("refunds")?.ArrayOf("data").Select(Refund).OfType<RefundChange>().ToList() ?? [];
                return new WebhookChange(ProviderNames.Stripe, id, type, PaymentIdOf(obj), obj.StringOf("payment_intent"), PaymentState.Succeeded, null, null, refunds);
            }
            case "refund.created":
            case "refund.updated":
            case "refund.failed":
            case "charge.refund.updated":
            {
                var refund = Refund(obj);
                return refund is null ? null
                    : new WebhookChange(ProviderNames.Stripe, id, type, null, obj.StringOf("payment_intent"), PaymentState.Succeeded, null, null, [refund]);
            }
            default:
                return null;
        }
    }

    private static string StatusOf(string type) => type switch
    {
        "payment_intent.succeeded" => "succeeded",
        "payment_intent.processing" => "processing",
        "payment_intent.canceled" => "canceled",
        _ => "requires_payment_method",
    };

    private static RefundChange? Refund(JsonElement refund)
    {
        var refundId = refund.StringOf("id");
        var amount = refund.LongOf("amount");
        var currency = refund.StringOf("currency");
        if (refundId is null || amount is null || currency is null) return null;
        Guid? ours = Guid.TryParse(refund.ObjectOf("metadata")?.StringOf("refund_id"), out var r) ? r : null;
        return new RefundChange(ours, refundId, amount.Value, currency.ToUpperInvariant(), StripeProvider.RefundState(refund.StringOf("status")), refund.StringOf("failure_reason"));
    }

    private static Guid? PaymentIdOf(JsonElement obj) => Guid.TryParse(obj.ObjectOf("metadata")?.StringOf("payment_id"), out var id) ? id : null;

    private static bool TryHex(string value, out byte[] bytes)
    {
        try { bytes = Convert.FromHexString(value); return true; }
        catch (FormatException) { bytes = []; return false; }
    }

    /// <summary>Builds a header the way Stripe does, for the sandbox and tests.</summary>
    public static string Sign(string body, string secret, long timestamp) =>
        $"t={timestamp},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")))}";
}
