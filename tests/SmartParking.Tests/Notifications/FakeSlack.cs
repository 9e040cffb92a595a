using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>
/// Slack's incoming webhooks as documented: POST application/json with "text" (and optional "blocks") to
/// /services/T…/B…/secret; 200 with the body "ok", or an HTTP error with an error code as the body: 400
/// invalid_payload (not JSON, or no text), 403 action_prohibited, 404 no_service, 410 channel_is_archived, 429
/// rate_limited with Retry-After, 500 rollup_error. Each hook's last path segment chooses its answer.
/// </summary>
public sealed class FakeSlack : FakeServiceServer
{
    public ConcurrentQueue<JsonElement> Posts { get; } = new();

    public string Hook(string answer) => new Uri(BaseUrl, $"services/T0001/B0001/{answer}").ToString();

    protected override void Map(WebApplication app) => app.MapPost("/services/{team}/{bot}/{answer}", async (string answer, HttpRequest request) =>
    {
        JsonElement payload;
        try
        {
            if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true) return Answer(400, "invalid_payload");
            payload = (await JsonDocument.ParseAsync(request.Body)).RootElement.Clone();
        }
        catch (JsonException)
        {
            return Answer(400, "invalid_payload");
        }
        if (!payload.TryGetProperty("text", out var text) || string.IsNullOrWhiteSpace(text.GetString())) return Answer(400, "no_text");
        Posts.Enqueue(payload);
        if (answer == "limited") request.HttpContext.Response.Headers.RetryAfter = "30";
        return answer switch
        {
            "ok" => Answer(200, "ok"),
            "prohibited" => Answer(403, "action_prohibited"),
            "missing" => Answer(404, "no_service"),
            "archived" => Answer(410, "channel_is_archived"),
            "invalid" => Answer(400, "invalid_payload"),
            "limited" => Answer(429, "rate_limited"),
            _ => Answer(500, "rollup_error"),
        };
    });

    private static IResult Answer(int status, string body) => Results.Text(body, "text/html", statusCode: status);
}
