using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>
/// The providers' webhooks. Each proves it comes from the provider (Telegram: the secret token given to setWebhook;
/// Meta: an HMAC of the raw body with the app secret) before anything in it is read, and a channel without its
/// settings answers 404 as if it did not exist.
/// </summary>
public static class ChannelEndpoints
{
    public const string TelegramPath = "/webhooks/telegram";
    public const string WhatsAppPath = "/webhooks/whatsapp";

    public static void MapChatChannels(this IEndpointRouteBuilder app)
    {
        app.MapPost(TelegramPath, TelegramWebhook).WithTags("Chat").AllowAnonymous().ExcludeFromDescription().AsProviderWebhook();
        app.MapGet(WhatsAppPath, WhatsAppVerification).WithTags("Chat").AllowAnonymous().ExcludeFromDescription();
        app.MapPost(WhatsAppPath, WhatsAppWebhook).WithTags("Chat").AllowAnonymous().ExcludeFromDescription().AsProviderWebhook();
    }

    private static async Task<IResult> TelegramWebhook(HttpRequest request, TelegramChannel telegram, IOptions<TelegramOptions> options,
        ILogger<TelegramChannel> logger, CancellationToken ct)
    {
        if (!telegram.IsConfigured) return NotConfigured("Telegram");
        if (!SecretMatches(request.Headers["X-Telegram-Bot-Api-Secret-Token"].ToString(), options.Value.WebhookSecret!))
        {
            logger.LogWarning("Telegram webhook call from {Address} refused: X-Telegram-Bot-Api-Secret-Token missing or wrong", request.HttpContext.Connection.RemoteIpAddress);
            return Results.Problem("The X-Telegram-Bot-Api-Secret-Token header is missing or wrong.", statusCode: StatusCodes.Status401Unauthorized);
        }
        var body = await WebhookBody.ReadAsync(request, ct);
        Update? update;
        try { update = JsonSerializer.Deserialize<Update>(body, JsonBotAPI.Options); }
        catch (JsonException e) { throw new ValidationException("body", "is not a Telegram update: " + e.Message); }
        if (update is not { Id: > 0 }) throw new ValidationException("update_id", "is required: a Telegram update's positive id.");
        await telegram.HandleAsync(update, ct);
        return Results.Ok();
    }

    /// <summary>Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours.</summary>
    private static IResult WhatsAppVerification(HttpRequest request, WhatsAppChannel whatsApp, IOptions<WhatsAppOptions> options, ILogger<WhatsAppChannel> logger)
    {
        if (!whatsApp.IsConfigured) return NotConfigured("WhatsApp");
        var query = request.Query;
        if (query["hub.mode"] != "subscribe" || !SecretMatches(query["hub.verify_token"].ToString(), options.Value.VerifyToken!))
        {
            logger.LogWarning("WhatsApp webhook verification from {Address} refused: wrong hub.mode or hub.verify_token", request.HttpContext.Connection.RemoteIpAddress);
            return Results.Problem("hub.mode must be subscribe and hub.verify_token must match.", statusCode: StatusCodes.Status403Forbidden);
        }
        var challenge = query["hub.challenge"].ToString();
        if (challenge.Length is 0 or > 256) throw new ValidationException("hub.challenge", "is required (at most 256 characters).");
        return Results.Text(challenge, "text/plain", Encoding.UTF8);
    }

    private static async Task<IResult> WhatsAppWebhook(HttpRequest request, WhatsAppChannel whatsApp, IOptions<WhatsAppOptions> options,
        ILogger<WhatsAppChannel> logger, CancellationToken ct)
    {
        if (!whatsApp.IsConfigured) return NotConfigured("WhatsApp");
        var body = await WebhookBody.ReadAsync(request, ct);
        if (!SignatureMatches(request.Headers["X-Hub-Signature-256"].ToString(), body, options.Value.AppSecret!))
        {
            logger.LogWarning("WhatsApp webhook call from {Address} refused: X-Hub-Signature-256 missing or wrong", request.HttpContext.Connection.RemoteIpAddress);
            return Results.Problem("The X-Hub-Signature-256 header is missing or does not match the body.", statusCode: StatusCodes.Status401Unauthorized);
        }
        WhatsAppNotification? notification;
        try { notification = JsonSerializer.Deserialize<WhatsAppNotification>(body, WhatsAppChannel.Json); }
        catch (JsonException e) { throw new ValidationException("body", "is not a WhatsApp webhook notification: " + e.Message); }
        if (notification is null) throw new ValidationException("body", "is not a WhatsApp webhook notification.");
        // 200 even when a reply could not be sent (logged): Meta would otherwise deliver again a message already answered.
        await whatsApp.HandleAsync(notification, ct);
        return Results.Ok();
    }

    private static IResult NotConfigured(string channel) =>
        Results.Problem($"The {channel} channel is not configured here.", statusCode: StatusCodes.Status404NotFound);

    /// <summary>Compared as hashes, so the time taken says nothing about the secret, not even its length.</summary>
    private static bool SecretMatches(string given, string secret) =>
        given.Length > 0 && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>"sha256=" and the hex HMAC-SHA256 of the raw body, keyed with the app secret.</summary>
    private static bool SignatureMatches(string header, byte[] body, string appSecret)
    {
        const string prefix = "sha256=";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length != prefix.Length + 64) return false;
        byte[] given;
        try { given = Convert.FromHexString(header.AsSpan(prefix.Length)); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));
    }
}
