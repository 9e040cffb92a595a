using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Notifications;

public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Messages a driver gets per rolling hour; more wait for the window. Urgent ones are exempt.</summary>
    [Range(1, 10_000)] public int MaxPerUserPerHour { get; set; } = 10;

    /// <summary>Tries after the first one for a message the provider refused for now (timeouts, 429, 5xx).</summary>
    [Range(0, 20)] public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; each further one doubles it (a provider's Retry-After wins when longer).</summary>
    [Range(0, 86_400)] public double RetryBaseSeconds { get; set; } = 30;

    /// <summary>How often the sender looks for due messages when nothing woke it (retries, deferred messages, other nodes).</summary>
    [Range(0.05, 3600)] public double FallbackSeconds { get; set; } = 2;

    /// <summary>Where the links in messages point (receipts, one-tap extension): the site as drivers reach it.</summary>
    [Required, Url] public string PublicBaseUrl { get; set; } = "http://localhost:5080";

    /// <summary>How much a one-tap extension adds.</summary>
    [Range(5, 1440)] public int ExtendMinutes { get; set; } = 30;

    /// <summary>How long a one-tap extension link works after it was sent.</summary>
    [Range(1, 1440)] public int ExtendLinkMinutes { get; set; } = 60;

    public SmtpOptions Smtp { get; set; } = new();

    public TwilioOptions Twilio { get; set; } = new();
}

public sealed class SmtpOptions
{
    /// <summary>Empty: no e-mail in this deployment.</summary>
    public string? Host { get; set; }

    [Range(1, 65_535)] public int Port { get; set; } = 587;

    /// <summary>none, starttls or ssl (implicit TLS, usually port 465).</summary>
    [RegularExpression("^(none|starttls|ssl)$")] public string Security { get; set; } = "starttls";

    public string? UserName { get; set; }
    public string? Password { get; set; }

    /// <summary>The sender, e.g. "SmartParking &lt;no-reply@example.org&gt;".</summary>
    public string? From { get; set; }

    [Range(1, 600)] public int TimeoutSeconds { get; set; } = 30;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host) && !string.IsNullOrWhiteSpace(From);
}

public sealed class TwilioOptions
{
    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }

    /// <summary>The sending number (E.164), or leave empty and give MessagingServiceSid.</summary>
    public string? From { get; set; }

    public string? MessagingServiceSid { get; set; }

    [Required, Url] public string BaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>The public URL of POST /webhooks/twilio/status, as Twilio calls it (also the URL its signature covers).</summary>
    public string? StatusCallbackUrl { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccountSid) && !string.IsNullOrWhiteSpace(AuthToken)
                                && (!string.IsNullOrWhiteSpace(From) || !string.IsNullOrWhiteSpace(MessagingServiceSid));
}
