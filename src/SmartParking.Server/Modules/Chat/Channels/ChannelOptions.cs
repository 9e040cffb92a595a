using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>How a channel retries a reply the provider could not take for now (5xx, 429, no connection).</summary>
public abstract class ChannelSendOptions
{
    /// <summary>Tries after the first one; a refusal for good (4xx: the user blocked the bot) is never retried.</summary>
    [Range(0, 10)] public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; each further one doubles it.</summary>
    [Range(0, 60_000)] public int RetryBaseMilliseconds { get; set; } = 500;

    /// <summary>The longest wait a provider's "retry after" is honoured for; the webhook answer waits meanwhile.</summary>
    [Range(0, 60)] public int MaxRetryAfterSeconds { get; set; } = 10;

    [Range(1, 120)] public int TimeoutSeconds { get; set; } = 15;
}

/// <summary>Chat:Telegram — the Telegram bot. Without a bot token the channel is off and its webhook answers 404.</summary>
public sealed class TelegramOptions : ChannelSendOptions
{
    public const string Section = "Chat:Telegram";

    /// <summary>The token @BotFather gave ("123456:ABC…").</summary>
    public string? BotToken { get; set; }

    /// <summary>
    /// The secret_token given to setWebhook; Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every update.
    /// 1–256 of A–Z, a–z, 0–9, _ and - (Telegram's rule). Required with a bot token.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,256}$")] public string? WebhookSecret { get; set; }

    /// <summary>The Bot API server (a local Bot API server, or a fake in tests).</summary>
    [Required, Url] public string ApiBaseUrl { get; set; } = "https://api.telegram.org";

    /// <summary>When set, the webhook is registered at start-up: this URL (https://host/webhooks/telegram) with the secret.</summary>
    [Url] public string? PublicUrl { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(BotToken);
}

/// <summary>Chat:WhatsApp — the WhatsApp Cloud API number. Without all three secrets the channel is off (404).</summary>
public sealed class WhatsAppOptions : ChannelSendOptions
{
    public const string Section = "Chat:WhatsApp";

    /// <summary>A system user's access token with whatsapp_business_messaging.</summary>
    public string? AccessToken { get; set; }

    /// <summary>The Meta app's secret: X-Hub-Signature-256 is an HMAC of the body with it.</summary>
    public string? AppSecret { get; set; }

    /// <summary>The verify token typed into the app's webhook settings, echoed in the subscription handshake.</summary>
    public string? VerifyToken { get; set; }

    [Required, Url] public string GraphBaseUrl { get; set; } = "https://graph.facebook.com";

    [Required, RegularExpression(@"^v\d{1,3}\.\d{1,3}$")] public string ApiVersion { get; set; } = "v23.0";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccessToken) && !string.IsNullOrWhiteSpace(AppSecret) && !string.IsNullOrWhiteSpace(VerifyToken);

    /// <summary>Some but not all of the secrets: a mistake worth failing start-up for.</summary>
    public bool IsHalfConfigured => !IsConfigured
        && (!string.IsNullOrWhiteSpace(AccessToken) || !string.IsNullOrWhiteSpace(AppSecret) || !string.IsNullOrWhiteSpace(VerifyToken));
}
