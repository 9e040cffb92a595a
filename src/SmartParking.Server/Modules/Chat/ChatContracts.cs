namespace SmartParking.Server.Modules.Chat;

/// <summary>The channels a conversation can come from.</summary>
public static class ChatChannels
{
    /// <summary>Rasa's REST channel, anonymous: public questions only.</summary>
    public const string Rest = "rest";

    /// <summary>A signed-in driver, through the REST channel or the app's chat widget.</summary>
    public const string Web = "web";

    /// <summary>A private Telegram chat with the bot; the id is the chat's.</summary>
    public const string Telegram = "telegram";

    /// <summary>A WhatsApp user writing to the business number; the id is their WhatsApp id (phone number).</summary>
    public const string WhatsApp = "whatsapp";
}

/// <summary>A choice offered with a reply: the channel shows <see cref="Title"/>; choosing it sends <see cref="Payload"/> (Rasa's "/intent{…}" form).</summary>
public sealed record ChatButton(string Title, string Payload);

/// <summary>One message from the assistant.</summary>
public sealed record ChatReply(string Text, IReadOnlyList<ChatButton>? Buttons = null);

/// <summary>
/// Who a message comes from: the channel ("rest", "web", "telegram", "whatsapp"), the user's id there, and the driver
/// they are known to be when the channel itself vouches for it (a signed-in web user; linked accounts are looked up), and
/// where the channel sends from when it has several addresses (WhatsApp: the business number written to).
/// </summary>
public sealed record ChatSender(string Channel, string Id, Guid? SignedInDriver = null, string? ReplyVia = null);
