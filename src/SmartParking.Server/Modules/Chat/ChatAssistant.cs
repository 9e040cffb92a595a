using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Modules.Chat.Dialogue;
using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// The assistant behind every channel: takes a user's message, reads it (the NLU, or a button's "/intent{…}" payload
/// directly, as Rasa does), lets the dialogue answer with the conversation locked, and records the turn. A message too
/// long to read, or with nothing in it, gets a polite answer and changes nothing.
/// </summary>
public sealed partial class ChatAssistant(NluEngine nlu, ChatDialogue dialogue, ConversationStore conversations, IOptions<ChatOptions> options, TimeProvider time)
{
    private readonly ChatOptions _options = options.Value;

    [GeneratedRegex(@"^/(?<intent>[a-z_]{1,40})(?<entities>\{.{0,400}\})?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex Payload();

    public async Task<IReadOnlyList<ChatReply>> ReplyAsync(ChatSender sender, string? message, CancellationToken ct)
    {
        var text = Readable(message);
        if (text.Length > _options.MaxMessageChars)
        {
            var language = ChatLanguage.Detect(text[..Math.Min(text.Length, 400)], ChatLanguage.English);
            return [new ChatReply(language == ChatLanguage.Danish
                ? $"Beklager, den besked er for lang til mig (højst {_options.MaxMessageChars} tegn). Kan du sige det kortere?"
                : $"Sorry, that message is too long for me (at most {_options.MaxMessageChars} characters). Could you say it in fewer words?")];
        }
        var model = await nlu.ModelAsync();
        return await conversations.WithConversationAsync(sender.Channel, sender.Id, async conversation =>
        {
            if (sender.SignedInDriver is { } driver) conversation.DriverId = driver;
            conversation.Language = ChatLanguage.Detect(text, conversation.Language);
            var parse = FromPayload(text, model.Intents) ?? model.Parse(text, time.GetUtcNow(), nlu.DefaultZone);
            var replies = text.Trim().Length == 0
                ? [new ChatReply(conversation.Language == ChatLanguage.Danish ? "Hvad kan jeg hjælpe med?" : "What can I help you with?")]
                : await dialogue.RespondAsync(conversation, parse, ct);
            conversation.Turns.Add(new ChatTurn(time.GetUtcNow(), text, replies.Select(r => r.Text).ToList()));
            return replies;
        }, ct);
    }

    /// <summary>The message without control characters (binary noise) other than line breaks and tabs.</summary>
    private static string Readable(string? message)
    {
        if (string.IsNullOrEmpty(message)) return "";
        var text = NluText.WellFormed(message);
        return text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            ? new string(text.Select(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t') ? ' ' : c).ToArray())
            : text;
    }

    /// <summary>A button's payload, "/intent" or "/intent{"entity": "value"}", as a certain parse.</summary>
    private static NluParse? FromPayload(string text, IReadOnlyList<string> intents)
    {
        var match = Payload().Match(text.Trim());
        if (!match.Success || !intents.Contains(match.Groups["intent"].Value)) return null;
        var entities = new List<ExtractedEntity>();
        if (match.Groups["entities"].Success)
        {
            try
            {
                using var json = JsonDocument.Parse(match.Groups["entities"].Value);
                foreach (var p in json.RootElement.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is { Length: <= 200 } value)
                        entities.Add(new ExtractedEntity(p.Name, value, 0, 0, "payload"));
            }
            catch (JsonException)
            {
                return null; // not a payload after all: read it as words
            }
        }
        var intent = new IntentScore(match.Groups["intent"].Value, 1);
        return new NluParse(text, intent, [intent], entities);
    }
}
