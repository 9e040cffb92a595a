using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Chat.Conversations;
using SmartParking.Server.Modules.Chat.Dialogue;
using SmartParking.Server.Modules.Chat.Handoff;
using SmartParking.Server.Modules.Chat.Nlu;

namespace SmartParking.Server.Modules.Chat;

/// <summary>
/// The assistant behind every channel: takes a user's message, reads it (the NLU, or a button's "/intent{…}" payload
/// directly, as Rasa does), lets the dialogue answer with the conversation locked, and records the turn. A message too
/// long to read, or with nothing in it, gets a polite answer and changes nothing.
/// </summary>
public sealed partial class ChatAssistant(NluEngine nlu, ChatDialogue dialogue, ConversationStore conversations, ChatAccountLinks links, HandoffStore handoffs,
    ChatSenderKeys senderKeys, IOptions<ChatOptions> options, TimeProvider time)
{
    private readonly ChatOptions _options = options.Value;

    [GeneratedRegex(@"^/(?<intent>[a-z_]{1,40})(?<entities>\{.{0,400}\})?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex Payload();

    [GeneratedRegex(@"^\s*(?:link|forbind|tilknyt)\s+(?<code>[A-Za-z0-9]{4}[\s-]?[A-Za-z0-9]{4})\s*[.!]?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LinkCommand();

    /// <summary>Rasa's /restart, and the words for leaving a person's chat: the conversation starts over with the assistant.</summary>
    [GeneratedRegex(@"^\s*(?:/restart|restart|start over|back|back to (?:the )?(?:bot|assistant)|forfra|start forfra|tilbage|tilbage til (?:assistenten|botten))\s*[.!]?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RestartCommand();

    [GeneratedRegex(@"^\s*(?:unlink|log ?out|fjern forbindelsen?|afbryd forbindelsen?)\s*[.!]?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UnlinkCommand();

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
        var link = LinkCommand().Match(text);
        var command = text.Trim().Length == 0 ? Command.Empty
            : RestartCommand().IsMatch(text) ? Command.Restart
            : link.Success ? Command.Link
            : UnlinkCommand().IsMatch(text) ? Command.Unlink
            : Command.None;
        // Read before the conversation is opened: it does not depend on it, and the conversation is held for less time.
        NluParse? parse = null;
        if (command == Command.None)
        {
            var model = await nlu.ModelAsync();
            parse = FromPayload(text, model.Intents) ?? model.Parse(text, time.GetUtcNow(), nlu.DefaultZone);
        }
        return await conversations.WithConversationAsync(sender.Channel, senderKeys.StoredId(sender), conversation => MayAct(conversation, command, parse), async conversation =>
        {
            if (sender.SignedInDriver is { } driver) conversation.DriverId = driver;
            conversation.ReplyTo = sender.Id;
            conversation.ReplyVia = sender.ReplyVia;
            // A button's payload ("/reserve{...}") is the assistant's own words, not the user's language.
            if (!text.TrimStart().StartsWith('/')) conversation.Language = ChatLanguage.Detect(text, conversation.Language);
            var say = new Say(conversation.Language);
            IReadOnlyList<ChatReply> replies;
            if (command == Command.Empty) replies = [new ChatReply(say.T("What can I help you with?", "Hvad kan jeg hjælpe med?"))];
            else if (command == Command.Restart) replies = [await RestartAsync(conversation, say, ct)];
            else if (conversation.HandoffId is { } handoff && await handoffs.AddDriverMessageAsync(handoff, text, ct)) replies = [];
            else if (command == Command.Link) replies = [await LinkAsync(conversation, sender, link.Groups["code"].Value, say, ct)];
            else if (command == Command.Unlink) replies = [await UnlinkAsync(conversation, sender, say, ct)];
            else replies = await dialogue.RespondAsync(conversation, parse!, ct);
            conversation.Turns.Add(new ChatTurn(time.GetUtcNow(), text, replies.Select(r => r.Text).ToList()));
            return replies;
        }, ct);
    }

    private enum Command { None, Empty, Restart, Link, Unlink }

    /// <summary>Intents whose flow acts as soon as it has what it needs, without a confirmation.</summary>
    private static readonly HashSet<string> ActingIntents = new(StringComparer.Ordinal) { "report_issue", "human_handoff" };

    /// <summary>
    /// Whether handling this message may do more than answer (book, pay, cancel, report, hand over, link): then it is
    /// handled with the conversation locked, so it happens once whatever node or retry handles it.
    /// </summary>
    private static bool MayAct(Conversation conversation, Command command, NluParse? parse) =>
        conversation.HandoffId is not null
        || command is Command.Restart or Command.Link or Command.Unlink
        || conversation.State.Awaiting == DialogueState.Confirmation
        || conversation.State.Flow is { } flow && ActingIntents.Contains(flow)
        || parse is not null && ActingIntents.Contains(parse.Intent.Name);

    /// <summary>Starts over with the assistant, ending a hand-over to a person if there is one.</summary>
    private async Task<ChatReply> RestartAsync(Conversation conversation, Say say, CancellationToken ct)
    {
        conversation.State.Clear();
        if (conversation.HandoffId is not { } handoff)
            return new ChatReply(say.T("Let's start over. What can I do for you?", "Vi starter forfra. Hvad kan jeg gøre for dig?"));
        await handoffs.CloseByDriverAsync(handoff, ct);
        conversation.HandoffId = null;
        return new ChatReply(say.T("You're back with the assistant; the person won't see what you write now. What can I do for you?",
            "Du er tilbage hos assistenten; medarbejderen ser ikke længere, hvad du skriver. Hvad kan jeg gøre for dig?"));
    }

    private async Task<ChatReply> LinkAsync(Conversation conversation, ChatSender sender, string code, Say say, CancellationToken ct)
    {
        if (sender.SignedInDriver is not null)
            return new ChatReply(say.T("You're signed in already, so there is nothing to link here.", "Du er allerede logget ind, så der er intet at forbinde her."));
        // Anyone can claim any sender id on the anonymous REST channel; only a channel that vouches for its users links.
        if (sender.Channel == ChatChannels.Rest)
            return new ChatReply(say.T("Sign in to the SmartParking app to use the chat for your own parking.", "Log ind i SmartParking-appen for at bruge chatten til din egen parkering."));
        if (await links.RedeemAsync(conversation.Channel, conversation.Sender, sender.Id, code, ct) is not { } driver)
            return new ChatReply(say.T("That code is wrong or has expired. Get a new one in the app under My parking → Chat.",
                "Den kode er forkert eller udløbet. Hent en ny i appen under Min parkering → Chat."));
        conversation.DriverId = driver;
        conversation.State.Clear();
        return new ChatReply(say.T("Linked! I can now book and manage your parking here. Send “unlink” to undo it.",
            "Forbundet! Jeg kan nu booke og styre din parkering her. Skriv “fjern forbindelsen” for at fortryde."));
    }

    private async Task<ChatReply> UnlinkAsync(Conversation conversation, ChatSender sender, Say say, CancellationToken ct)
    {
        if (sender.SignedInDriver is not null)
            return new ChatReply(say.T("This chat is your signed-in account; sign out in the app instead.", "Denne chat er din indloggede konto; log ud i appen i stedet."));
        var removed = await links.UnlinkAsync(conversation.Channel, conversation.Sender, ct);
        conversation.DriverId = null;
        conversation.State.Clear();
        return new ChatReply(removed
            ? say.T("Unlinked. I'll only answer general questions here now.", "Forbindelsen er fjernet. Jeg svarer nu kun på generelle spørgsmål her.")
            : say.T("This chat isn't linked to an account.", "Denne chat er ikke forbundet til en konto."));
    }

    /// <summary>The message without control characters (binary noise) other than line breaks and tabs.</summary>
    private static string Readable(string? message) =>
        string.IsNullOrEmpty(message) ? "" : string.Create(message.Length, NluText.WellFormed(message), static (chars, text) =>
        {
            for (var i = 0; i < text.Length; i++) chars[i] = char.IsControl(text[i]) && text[i] is not ('\n' or '\r' or '\t') ? ' ' : text[i];
        });

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
