namespace SmartParking.Server.Modules.Notifications;

/// <summary>The ways a message leaves the platform; each is one <see cref="INotificationChannel"/>.</summary>
public enum ChannelKind
{
    Email,
    Sms,
    Push,
    Slack,
    Webhook,
}

/// <summary>
/// One rendered message for one address on one channel. Address is what the channel needs: an e-mail address, an
/// E.164 phone number, a driver id for Web Push (the channel sends to each of the driver's devices), a Slack incoming-webhook URL, or a webhook
/// URL. For webhooks, Text is the JSON body, Subject the event type, and SigningSecret signs it. Urgent messages are
/// marked so where a provider has the notion (Web Push's Urgency: high). Attachments are only ever set for e-mail.
/// </summary>
public sealed record OutgoingMessage(
    Guid MessageId, string Address, string Subject, string Text, string? Html, string? Link = null, string? SigningSecret = null, bool Urgent = false,
    IReadOnlyList<MessageAttachment>? Attachments = null);

public enum DeliveryOutcome
{
    /// <summary>The provider took it.</summary>
    Sent,

    /// <summary>The provider says it reached the recipient.</summary>
    Delivered,

    /// <summary>Worth trying again later (timeouts, 429, 5xx); RetryAfter when the provider said when.</summary>
    TransientFailure,

    /// <summary>Trying again cannot help (a rejected address, 4xx other than 429).</summary>
    PermanentFailure,

    /// <summary>The address no longer exists (a Web Push subscription answered 404/410): forget it.</summary>
    AddressGone,
}

public sealed record ChannelResult(Guid MessageId, DeliveryOutcome Outcome, string? ProviderMessageId = null, string? Error = null, TimeSpan? RetryAfter = null);

/// <summary>
/// A provider behind one interface. SendAsync takes up to MaxBatch messages (providers that take batches get them in
/// one call; the others are sent one by one inside) and answers one result per message, never throwing for a
/// provider's failure.
/// </summary>
public interface INotificationChannel
{
    ChannelKind Kind { get; }

    /// <summary>False when the deployment configured no provider for it: messages for it are not queued.</summary>
    bool IsConfigured { get; }

    int MaxBatch { get; }

    Task<IReadOnlyList<ChannelResult>> SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken ct);
}
