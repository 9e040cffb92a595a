using System.ComponentModel;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Chat;

public static class HandoffStatuses
{
    /// <summary>In the queue: nobody has answered yet.</summary>
    public const string Waiting = "waiting";

    /// <summary>An operator has answered; the driver's messages still go to the operator.</summary>
    public const string Answered = "answered";

    /// <summary>Over: the driver's messages go to the assistant again.</summary>
    public const string Closed = "closed";

    public static readonly IReadOnlyList<string> All = [Waiting, Answered, Closed];
}

public static class HandoffAuthors
{
    public const string Driver = "driver";
    public const string Assistant = "assistant";
    public const string Operator = "operator";
}

/// <summary>How an operator's message reached the driver.</summary>
public static class HandoffDelivery
{
    /// <summary>The provider (Telegram, WhatsApp) took it.</summary>
    public const string Sent = "sent";

    /// <summary>The provider refused it or could not be reached after retries.</summary>
    public const string Failed = "failed";

    /// <summary>Waiting for the driver's app or REST client to fetch it.</summary>
    public const string Fetch = "fetch";
}

/// <summary>A chat in an operator's queue.</summary>
public sealed record HandoffSummary(
    Guid Id,
    [property: Description("Where the driver is talking: web, rest, telegram or whatsapp.")] string Channel,
    [property: Description("True when the chat user is a signed-in or linked driver.")] bool KnownDriver,
    Guid? TenantId,
    [property: Description("en or da: the language the driver writes in.")] string Language,
    string Status,
    DateTimeOffset RequestedAt,
    DateTimeOffset LastMessageAt,
    [property: Description("The driver's latest words.")] string? LastDriverMessage);

/// <summary>One message in a handed-over chat.</summary>
public sealed record HandoffMessage(
    long Id,
    DateTimeOffset At,
    [property: Description("driver, assistant or operator.")] string Author,
    string Text,
    [property: Description("For an operator's message: sent, failed (the channel refused it) or fetch (the driver's app collects it).")] string? Delivery);

/// <summary>A handed-over chat with everything said in it, oldest first.</summary>
public sealed record HandoffThread(HandoffSummary Handoff, IReadOnlyList<HandoffMessage> Messages);

/// <summary>An operator's answer to a driver.</summary>
public sealed record HandoffAnswer([property: Description("What to tell the driver (at most 4,096 characters).")] string? Text);

/// <summary>
/// A hand-over was requested, written in, answered or closed; pages showing the queue reload, and the chat user's widget
/// fetches what was said to them. <see cref="ChatKey"/> tells a widget its own chat without the event naming the user; it
/// is a hash of the user as stored (<see cref="ChatSenderKeys"/>: a keyed index, or a web user's account id), and as
/// that still ties a hand-over to an account, the event is recorded sealed all the same.
/// </summary>
public sealed record HandoffChanged(Guid HandoffId, Guid? TenantId, string Status, string ChatKey) : IPersonalDomainEvent
{
    public string AggregateId => HandoffId.ToString();

    /// <summary>A pseudonym of a chat user: the first 16 bytes of SHA-256 over channel and stored id, in hex.</summary>
    public static string KeyOf(string channel, string sender) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(channel + "\n" + sender)).AsSpan(0, 16));
}
