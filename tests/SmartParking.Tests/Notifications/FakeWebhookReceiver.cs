using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>
/// An operator's system receiving SmartParking webhooks, verifying each as the README's "Webhooks" section tells
/// receivers to: the HMAC-SHA256 of "{timestamp}.{body}" with the endpoint's secret must equal the signature header.
/// Each path answers one way: /hooks/ok 200, /hooks/accepted 204, /hooks/gone 410, /hooks/bad 400, /hooks/unauthorised
/// 401, /hooks/timeout 408, /hooks/limited 429 with Retry-After: 60, /hooks/down 503, /hooks/broken 500.
/// </summary>
public sealed class FakeWebhookReceiver : FakeServiceServer
{
    public sealed record Received(string Path, string Body, string? ContentType, string? Event, string? Delivery, string? Timestamp, string? Signature);

    public ConcurrentQueue<Received> Requests { get; } = new();

    public Uri Url(string answer) => new(BaseUrl, "hooks/" + answer);

    /// <summary>Whether the request carries a valid signature for this secret: what a receiver must check before trusting it.</summary>
    public static bool SignatureIsValid(Received request, string secret)
    {
        if (request.Timestamp is null || request.Signature is null || !long.TryParse(request.Timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(request.Timestamp + "." + request.Body)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(request.Signature));
    }

    protected override void Map(WebApplication app) => app.MapPost("/hooks/{answer}", async (string answer, HttpRequest request) =>
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        Requests.Enqueue(new Received(request.Path, body, request.ContentType, request.Headers["X-SmartParking-Event"].FirstOrDefault(),
            request.Headers["X-SmartParking-Delivery"].FirstOrDefault(), request.Headers["X-SmartParking-Timestamp"].FirstOrDefault(),
            request.Headers["X-SmartParking-Signature"].FirstOrDefault()));
        if (answer == "limited") request.HttpContext.Response.Headers.RetryAfter = "60";
        return Results.StatusCode(answer switch
        {
            "ok" => 200, "accepted" => 204, "gone" => 410, "bad" => 400, "unauthorised" => 401, "timeout" => 408, "limited" => 429, "down" => 503, "broken" => 500,
            _ => 404,
        });
    });
}
