using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SmartParking.Server.Modules.Notifications.Sms;

/// <summary>
/// Twilio's delivery reports: POST /webhooks/twilio/status, signed as Twilio documents (X-Twilio-Signature: base64
/// HMAC-SHA1, keyed with the auth token, over the full URL followed by every POST parameter's name and value in name
/// order). delivered marks the message delivered; undelivered and failed mark it failed with Twilio's error code.
/// </summary>
public static class TwilioStatusCallback
{
    public const string Path = "/webhooks/twilio/status";

    public static void MapTwilioStatusCallback(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, ReceiveAsync).WithTags("Notifications").AllowAnonymous().ExcludeFromDescription();

    private static async Task<IResult> ReceiveAsync(HttpRequest request, IOptions<NotificationOptions> options, NpgsqlDataSource db, TimeProvider time,
        ILogger<TwilioSmsChannel> logger, CancellationToken ct)
    {
        var o = options.Value.Twilio;
        if (!o.IsConfigured) return Results.Problem("Twilio is not configured here.", statusCode: StatusCodes.Status404NotFound);
        if (!request.HasFormContentType) return Results.Problem("Twilio sends form-encoded status reports.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        var form = await request.ReadFormAsync(ct);
        var parameters = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        // The URL Twilio signed is the one it was given; behind a proxy the request's own may differ.
        var url = string.IsNullOrWhiteSpace(o.StatusCallbackUrl) ? request.GetDisplayUrl() : o.StatusCallbackUrl;
        if (!SignatureMatches(request.Headers["X-Twilio-Signature"].ToString(), url, parameters, o.AuthToken!))
        {
            logger.LogWarning("Twilio status report with a wrong signature refused");
            return Results.Problem("The X-Twilio-Signature does not match.", statusCode: StatusCodes.Status403Forbidden);
        }
        var sid = parameters.GetValueOrDefault("MessageSid");
        var status = parameters.GetValueOrDefault("MessageStatus");
        if (string.IsNullOrEmpty(sid)) return Results.Problem("MessageSid is missing.", statusCode: StatusCodes.Status400BadRequest);
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        switch (status)
        {
            case "delivered":
                await connection.ExecuteAsync(new CommandDefinition("""
                    update notification_messages set status = 'delivered', delivered_at = @now, reason = null, updated_at = @now
                    where channel = 'sms' and provider_message_id = @sid and status in ('sent', 'delivered')
                    """, new { sid, now }, cancellationToken: ct));
                break;
            case "undelivered" or "failed":
                var code = parameters.GetValueOrDefault("ErrorCode");
                await connection.ExecuteAsync(new CommandDefinition("""
                    update notification_messages set status = 'failed', failed_at = @now, reason = @reason, updated_at = @now
                    where channel = 'sms' and provider_message_id = @sid and status in ('sent', 'delivered')
                    """, new { sid, now, reason = $"Twilio reported {status}" + (string.IsNullOrEmpty(code) ? "." : $" (error {code}).") }, cancellationToken: ct));
                break;
        }
        return Results.NoContent();
    }

    public static string Sign(string url, IReadOnlyDictionary<string, string> parameters, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal)) data.Append(key).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private static bool SignatureMatches(string given, string url, IReadOnlyDictionary<string, string> parameters, string authToken) =>
        given.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given), Encoding.ASCII.GetBytes(Sign(url, parameters, authToken)));
}
