namespace SmartParking.Server.Modules.Notifications;

/// <summary>Who a notification is for.</summary>
public abstract record NotificationRecipient;

/// <summary>A driver: their preferences choose the channels, the language and the quiet hours.</summary>
public sealed record DriverRecipient(Guid DriverId) : NotificationRecipient;

/// <summary>A fixed address on one channel (an operator's contact, a team's Slack, an integrator's webhook).</summary>
public sealed record AddressRecipient(ChannelKind Channel, string Address, string Language = "en", string? SigningSecret = null) : NotificationRecipient;

/// <summary>A file that goes with a message: e-mails carry it; channels without attachments (SMS, push, Slack, webhooks) leave it out.</summary>
public sealed record MessageAttachment(string FileName, string ContentType, byte[] Content);

/// <summary>
/// Something to tell someone, as a module asks for it. Kind names the template (e.g. "reservation_confirmed");
/// Fields are the template's values, already formatted (times in the lot's zone). SourceEventId with the recipient,
/// channel and kind suppresses duplicates, so asking twice for the same event sends once.
/// Urgent messages skip quiet hours and the hourly cap; marketing ones need the driver's consent. Attachments go with
/// the e-mail, stored with the queued message so a retry sends the same files.
/// </summary>
public sealed record NotificationRequest(
    Guid SourceEventId,
    Guid? TenantId,
    string Kind,
    NotificationRecipient Recipient,
    IReadOnlyDictionary<string, string> Fields,
    bool Urgent = false,
    bool Marketing = false,
    string? Link = null,
    IReadOnlyList<MessageAttachment>? Attachments = null);

/// <summary>The Notifications module's face to the rest: queue messages; delivery, retries and the log are its own.</summary>
public interface INotificationQueue
{
    Task QueueAsync(IReadOnlyCollection<NotificationRequest> requests, CancellationToken ct);
}
