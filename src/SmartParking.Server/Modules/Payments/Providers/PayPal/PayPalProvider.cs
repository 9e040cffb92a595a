using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartParking.Server.Modules.Payments.Providers.PayPal;

/// <summary>PayPal Orders v2: an order with intent CAPTURE paid from a vaulted PayPal wallet, captured at once; refunds on the capture.</summary>
public sealed class PayPalProvider(PayPalClient client) : IPaymentProvider
{
    public string Name => ProviderNames.PayPal;

    public async Task<ProviderCharge> ChargeAsync(long amountMinor, string currency, ProviderToken token, string idempotencyKey, ChargeMetadata metadata, CancellationToken ct)
    {
        var value = Money.ToDecimalString(Money.FromMinorUnits(amountMinor, currency), currency);
        var order = new JsonObject
        {
            ["intent"] = "CAPTURE",
            ["purchase_units"] = new JsonArray(new JsonObject
            {
                ["reference_id"] = metadata.ReferenceId.ToString(),
                ["custom_id"] = metadata.PaymentId.ToString(),
                ["description"] = Truncate(metadata.Description, 127),
                ["amount"] = new JsonObject { ["currency_code"] = currency, ["value"] = value },
            }),
            ["payment_source"] = new JsonObject { ["paypal"] = new JsonObject { ["vault_id"] = token.Token } },
        };
        // The same PayPal-Request-Id makes PayPal return the first order instead of creating a second one.
        var created = await client.PostAsync("/v2/checkout/orders", order.ToJsonString(), idempotencyKey, ct);
        if (created.Status is not (HttpStatusCode.OK or HttpStatusCode.Created)) return Refused(created);
        var orderId = created.Body.StringOf("id");
        // With a vaulted source PayPal may complete the order straight away; otherwise it waits for our capture.
        var status = created.Body.StringOf("status");
        var completed = created;
        if (status != "COMPLETED")
        {
            if (status is not ("APPROVED" or "CREATED" or "SAVED") || orderId is null)
                return new ProviderCharge(PaymentState.Failed, orderId, "order_" + (status ?? "unknown").ToLowerInvariant(), $"PayPal left the order in status {status}.");
            completed = await client.PostAsync($"/v2/checkout/orders/{Uri.EscapeDataString(orderId)}/capture", "{}", idempotencyKey + ":capture", ct);
            if (completed.Status is not (HttpStatusCode.OK or HttpStatusCode.Created)) return Refused(completed);
        }
        var capture = completed.Body.ArrayOf("purchase_units").SelectMany(u => u.ObjectOf("payments")?.ArrayOf("captures") ?? []).FirstOrDefault();
        if (capture.ValueKind != JsonValueKind.Object)
            return new ProviderCharge(PaymentState.Failed, orderId, "no_capture", "PayPal completed the order without a capture.");
        return FromCapture(capture);
    }

    public async Task<ProviderRefund> RefundAsync(string providerReference, long amountMinor, string currency, string idempotencyKey, Guid refundId, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["amount"] = new JsonObject { ["currency_code"] = currency, ["value"] = Money.ToDecimalString(Money.FromMinorUnits(amountMinor, currency), currency) },
            ["custom_id"] = refundId.ToString(),
        };
        var reply = await client.PostAsync($"/v2/payments/captures/{Uri.EscapeDataString(providerReference)}/refund", body.ToJsonString(), idempotencyKey, ct);
        if (reply.Status is not (HttpStatusCode.OK or HttpStatusCode.Created))
            return new ProviderRefund(PaymentState.Failed, null, Issue(reply.Body) ?? $"HTTP {(int)reply.Status}");
        return new ProviderRefund(RefundState(reply.Body.StringOf("status")), reply.Body.StringOf("id"), null);
    }

    internal static ProviderCharge FromCapture(JsonElement capture)
    {
        var id = capture.StringOf("id");
        return capture.StringOf("status") switch
        {
            "COMPLETED" => new(PaymentState.Succeeded, id, null, null),
            "PENDING" => new(PaymentState.Pending, id, null, null),
            var s => new(PaymentState.Failed, id, (s ?? "unknown").ToLowerInvariant(), capture.ObjectOf("status_details")?.StringOf("reason") ?? $"PayPal capture status {s}."),
        };
    }

    internal static PaymentState RefundState(string? status) => status switch
    {
        "COMPLETED" => PaymentState.Succeeded,
        "CANCELLED" or "FAILED" => PaymentState.Failed,
        _ => PaymentState.Pending,
    };

    // 422 UNPROCESSABLE_ENTITY with details[].issue (e.g. INSTRUMENT_DECLINED) is PayPal's decline; 4xx are never retried.
    private static ProviderCharge Refused(PayPalClient.Reply reply) =>
        new(PaymentState.Failed, null, (Issue(reply.Body) ?? reply.Body.StringOf("name") ?? $"http_{(int)reply.Status}").ToLowerInvariant(),
            reply.Body.ArrayOf("details").Select(d => d.StringOf("description")).FirstOrDefault(d => d is not null) ?? reply.Body.StringOf("message"));

    private static string? Issue(JsonElement body) => body.ArrayOf("details").Select(d => d.StringOf("issue")).FirstOrDefault(i => i is not null);

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
