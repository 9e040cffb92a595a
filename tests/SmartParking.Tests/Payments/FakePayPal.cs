using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using SmartParking.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace SmartParking.Tests.Payments;

/// <summary>
/// PayPal's REST API as documented: OAuth2 client credentials, Orders v2 (create with a vaulted PayPal source, capture),
/// capture refunds, and verify-webhook-signature. PayPal-Request-Id replays the first answer. Vault ids: "vault-declined"
/// is refused with INSTRUMENT_DECLINED, "vault-pending" leaves the capture PENDING, anything else completes.
/// </summary>
public sealed class FakePayPal : FakeServiceServer
{
    public const string ClientId = "paypal-client";
    public const string ClientSecret = "paypal-secret";
    public const string WebhookId = "WH-TEST-0001";

    public sealed record Call(string Path, string? RequestId, string Body);

    private readonly ConcurrentDictionary<string, Lazy<(int Status, string Body)>> _byRequestId = new();
    private readonly ConcurrentDictionary<string, JsonObject> _orders = new();
    private int _tokensIssued;

    public ConcurrentQueue<Call> Calls { get; } = new();
    public int TokensIssued => _tokensIssued;
    public volatile string VerificationStatus = "SUCCESS";

    public IReadOnlyList<Call> OrdersFor(Guid paymentId) =>
        Calls.Where(c => c.Path == "/v2/checkout/orders" && c.Body.Contains(paymentId.ToString(), StringComparison.Ordinal)).ToList();

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/oauth2/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"));
            if (request.Headers.Authorization.FirstOrDefault() != basic || form["grant_type"] != "client_credentials")
                return Json(401, """{"error":"invalid_client","error_description":"Client Authentication failed"}""");
            Interlocked.Increment(ref _tokensIssued);
            return Json(200, new JsonObject
            {
                ["scope"] = "https://uri.paypal.com/services/payments/payment", ["access_token"] = AccessToken, ["token_type"] = "Bearer",
                ["app_id"] = "APP-TEST", ["expires_in"] = 32400, ["nonce"] = Guid.NewGuid().ToString("N"),
            }.ToJsonString());
        });
        app.MapPost("/v2/checkout/orders", (HttpRequest request) => Handle(request, CreateOrder));
        app.MapPost("/v2/checkout/orders/{id}/capture", (string id, HttpRequest request) => Handle(request, _ => Capture(id)));
        app.MapPost("/v2/payments/captures/{id}/refund", (string id, HttpRequest request) => Handle(request, body => Refund(id, body)));
        app.MapPost("/v1/notifications/verify-webhook-signature", (HttpRequest request) =>
            Handle(request, _ => (200, new JsonObject { ["verification_status"] = VerificationStatus }.ToJsonString())));
    }

    private static string AccessToken => "A21AAtest-access-token";

    private async Task<IResult> Handle(HttpRequest request, Func<string, (int, string)> action)
    {
        var body = await new StreamReader(request.Body).ReadToEndAsync();
        var requestId = request.Headers["PayPal-Request-Id"].FirstOrDefault();
        Calls.Enqueue(new Call(request.Path, requestId, body));
        if (request.Headers.Authorization.FirstOrDefault() != "Bearer " + AccessToken)
            return Json(401, """{"error":"invalid_token","error_description":"Token signature verification failed"}""");
        var (status, answer) = requestId is null ? action(body) : _byRequestId.GetOrAdd(requestId, _ => new Lazy<(int, string)>(() => action(body))).Value;
        return Json(status, answer);
    }

    private (int, string) CreateOrder(string body)
    {
        var order = JsonNode.Parse(body)!.AsObject();
        var unit = order["purchase_units"]![0]!;
        var vault = order["payment_source"]?["paypal"]?["vault_id"]?.GetValue<string>();
        if (order["intent"]?.GetValue<string>() != "CAPTURE" || vault is null || unit["amount"]?["value"] is null)
            return (400, """{"name":"INVALID_REQUEST","message":"Request is not well-formed, syntactically incorrect, or violates schema.","details":[{"issue":"MISSING_REQUIRED_PARAMETER"}]}""");
        if (vault == "vault-declined")
            return (422, """{"name":"UNPROCESSABLE_ENTITY","message":"The requested action could not be performed.","details":[{"issue":"INSTRUMENT_DECLINED","description":"The instrument presented was either declined by the processor or bank."}]}""");
        var id = Guid.NewGuid().ToString("N")[..17].ToUpperInvariant();
        _orders[id] = new JsonObject { ["unit"] = unit.DeepClone(), ["vault"] = vault };
        return (201, new JsonObject { ["id"] = id, ["status"] = "APPROVED", ["intent"] = "CAPTURE" }.ToJsonString());
    }

    private (int, string) Capture(string orderId)
    {
        if (!_orders.TryGetValue(orderId, out var order)) return (404, """{"name":"RESOURCE_NOT_FOUND","details":[{"issue":"INVALID_RESOURCE_ID"}]}""");
        var unit = order["unit"]!;
        var capture = new JsonObject
        {
            ["id"] = "CAP" + Guid.NewGuid().ToString("N")[..14].ToUpperInvariant(),
            ["status"] = order["vault"]!.GetValue<string>() == "vault-pending" ? "PENDING" : "COMPLETED",
            ["amount"] = unit["amount"]!.DeepClone(),
            ["custom_id"] = unit["custom_id"]?.DeepClone(),
        };
        return (201, new JsonObject
        {
            ["id"] = orderId, ["status"] = "COMPLETED",
            ["purchase_units"] = new JsonArray(new JsonObject
            {
                ["reference_id"] = unit["reference_id"]?.DeepClone(),
                ["payments"] = new JsonObject { ["captures"] = new JsonArray(capture) },
            }),
        }.ToJsonString());
    }

    private static (int, string) Refund(string captureId, string body)
    {
        var request = JsonNode.Parse(body)!;
        return (201, new JsonObject
        {
            ["id"] = "REF" + Guid.NewGuid().ToString("N")[..14].ToUpperInvariant(), ["status"] = "COMPLETED",
            ["amount"] = request["amount"]?.DeepClone(), ["custom_id"] = request["custom_id"]?.DeepClone(),
            ["links"] = new JsonArray(new JsonObject { ["rel"] = "up", ["href"] = $"https://api-m.sandbox.paypal.com/v2/payments/captures/{captureId}", ["method"] = "GET" }),
        }.ToJsonString());
    }

    private static IResult Json(int status, string body) => Results.Text(body, "application/json", statusCode: status);

    public static JsonElement Parse(string body) => JsonDocument.Parse(body).RootElement.Clone();
}
