using System.Buffers.Text;
using System.Collections.Concurrent;
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

    /// <summary>
    /// Keys already worked out: every message needs its sender's, and an HMAC each time was a few percent of a busy
    /// assistant's CPU. Dropped whole past <see cref="MaxKept"/> (counted on adding: Count locks the whole dictionary).
    /// </summary>
    private readonly ConcurrentDictionary<(string Channel, string Id), string> _kept = new();
    private int _added;

    private const int MaxKept = 100_000;

    public string StoredId(string channel, string id)
    {
        if (channel == ChatChannels.Web) return id;
        if (_kept.TryGetValue((channel, id), out var kept)) return kept;
        var key = Prefix + Base64Url.EncodeToString(protector.BlindIndex(id, new FieldScope("chat_senders", channel)));
        if (Interlocked.Increment(ref _added) > MaxKept)
        {
            _kept.Clear();
            Interlocked.Exchange(ref _added, 0);
        }
        _kept.TryAdd((channel, id), key);
        return key;
    }

    /// <summary>The channel id in a stored sender still in clear (stored before the keys, not yet re-keyed), else null.</summary>
    public static string? StillClear(string storedSender) => storedSender.StartsWith(Prefix, StringComparison.Ordinal) ? null : storedSender;
}
