using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using SmartParking.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace SmartParking.Tests.Payments;

/// <summary>
/// Stripe's PaymentIntents and Refunds API as documented: form-encoded requests, Bearer secret key, Idempotency-Key
/// (a repeated key replays the first answer), JSON objects with id/object/status, error objects with type/code/decline_code.
/// Test PaymentMethods follow Stripe's names: pm_card_visa succeeds, pm_card_chargeDeclined* are declined; pm_processing_test stays processing.
/// </summary>
public sealed class FakeStripe : FakeServiceServer
{
    public const string SecretKey = "sk_test_smartparking";

    public sealed record Call(string Path, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey, string? Authorization);

    public enum Behaviour { Normal, Unavailable, Hang }

    private readonly ConcurrentDictionary<string, Lazy<(int Status, string Body)>> _byKey = new();

    public ConcurrentQueue<Call> Calls { get; } = new();

    public volatile Behaviour Mode = Behaviour.Normal;

    public IReadOnlyList<Call> CallsFor(Guid paymentId) =>
        Calls.Where(c => c.Form.TryGetValue("metadata[payment_id]", out var id) && id == paymentId.ToString()).ToList();

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/payment_intents", (HttpRequest request) => Handle(request, CreateIntent));
        app.MapPost("/v1/refunds", (HttpRequest request) => Handle(request, CreateRefund));
    }

    private async Task<IResult> Handle(HttpRequest request, Func<Dictionary<string, string>, (int, string)> create)
    {
        var form = (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
        var key = request.Headers["Idempotency-Key"].FirstOrDefault();
        Calls.Enqueue(new Call(request.Path, form, key, request.Headers.Authorization.FirstOrDefault()));
        if (request.Headers.Authorization.FirstOrDefault() != "Bearer " + SecretKey)
            return Json(401, Error("invalid_request_error", null, null, "Invalid API Key provided."));
        if (Mode == Behaviour.Hang)
        {
            // Never answers; the caller's timeout ends the request.
            try { await Task.Delay(Timeout.Infinite, request.HttpContext.RequestAborted); }
            catch (OperationCanceledException) { }
            return Results.Empty;
        }
        if (Mode == Behaviour.Unavailable)
            return Json(503, Error("api_error", null, null, "Stripe is temporarily unavailable."));
        // Stripe keeps the first answer for a key and replays it (errors from validation included).
        var (status, body) = key is null ? create(form) : _byKey.GetOrAdd(key, _ => new Lazy<(int, string)>(() => create(form))).Value;
        return Json(status, body);
    }

    private static (int, string) CreateIntent(Dictionary<string, string> form)
    {
        if (!form.TryGetValue("amount", out var amountText) || !long.TryParse(amountText, out var amount) || amount <= 0)
            return (400, Error("invalid_request_error", "parameter_invalid_integer", null, "Invalid integer: amount"));
        if (!form.TryGetValue("currency", out var currency) || currency != currency.ToLowerInvariant())
            return (400, Error("invalid_request_error", "parameter_invalid", null, "Invalid currency"));
        var id = "pi_" + Guid.NewGuid().ToString("N")[..24];
        var pm = form.GetValueOrDefault("payment_method") ?? "";
        var metadata = new JsonObject();
        foreach (var (k, v) in form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal)))
            metadata[k["metadata[".Length..^1]] = v;
        JsonObject Intent(string status) => new()
        {
            ["id"] = id, ["object"] = "payment_intent", ["amount"] = amount, ["currency"] = currency, ["status"] = status,
            ["payment_method"] = pm, ["customer"] = form.GetValueOrDefault("customer"), ["metadata"] = metadata.DeepClone(),
            ["latest_charge"] = status == "succeeded" ? "ch_" + id[3..] : null,
        };
        if (pm.StartsWith("pm_card_chargeDeclined", StringComparison.Ordinal))
        {
            var decline = pm == "pm_card_chargeDeclinedInsufficientFunds" ? "insufficient_funds" : "generic_decline";
            var error = new JsonObject
            {
                ["type"] = "card_error", ["code"] = "card_declined", ["decline_code"] = decline, ["message"] = "Your card was declined.",
                ["payment_intent"] = Intent("requires_payment_method"),
            };
            return (402, new JsonObject { ["error"] = error }.ToJsonString());
        }
        return (200, Intent(pm == "pm_processing_test" ? "processing" : "succeeded").ToJsonString());
    }

    private static (int, string) CreateRefund(Dictionary<string, string> form)
    {
        var refund = new JsonObject
        {
            ["id"] = "re_" + Guid.NewGuid().ToString("N")[..24], ["object"] = "refund", ["amount"] = long.Parse(form["amount"]),
            ["currency"] = "dkk", ["payment_intent"] = form["payment_intent"], ["status"] = "succeeded",
            ["metadata"] = new JsonObject { ["refund_id"] = form.GetValueOrDefault("metadata[refund_id]") },
        };
        return (200, refund.ToJsonString());
    }

    private static string Error(string type, string? code, string? declineCode, string message) =>
        new JsonObject { ["error"] = new JsonObject { ["type"] = type, ["code"] = code, ["decline_code"] = declineCode, ["message"] = message } }.ToJsonString();

    private static IResult Json(int status, string body) => Results.Text(body, "application/json", statusCode: status);
}
