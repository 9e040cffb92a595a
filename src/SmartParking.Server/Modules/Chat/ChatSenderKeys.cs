using System.Buffers.Text;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// How a chat user is stored. Telegram chat ids, WhatsApp ids (phone numbers) and whatever id a REST client sends are
/// personal data, so conversations, links and hand-overs are keyed by a blind index of them instead: the same user always
/// gets the same key, and the key tells nothing without the index key. A signed-in web user is stored by their account
/// id, a pseudonym already. The clear id is kept sealed only where it is needed: by a link (shown to the driver) and by a
/// hand-over (to send the operator's answers).
/// </summary>
public sealed class ChatSenderKeys(FieldProtector protector)
{
    /// <summary>Marks a stored key, so ids stored in clear before it can be told apart and re-keyed.</summary>
    internal const string Prefix = "k1:";

    public string StoredId(ChatSender sender) => StoredId(sender.Channel, sender.Id);

    public string StoredId(string channel, string id) =>
        channel == ChatChannels.Web ? id : Prefix + Base64Url.EncodeToString(protector.BlindIndex(id, new FieldScope("chat_senders", channel)));

    /// <summary>The channel id in a stored sender still in clear (stored before the keys, not yet re-keyed), else null.</summary>
    public static string? StillClear(string storedSender) => storedSender.StartsWith(Prefix, StringComparison.Ordinal) ? null : storedSender;
}
