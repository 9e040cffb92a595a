using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Chat;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Chat;

/// <summary>A story that did not go as written: which step, what was expected and what happened, with the conversation so far.</summary>
public sealed class StoryFailedException(string message) : Exception(message);

/// <summary>
/// Plays a story against the real server, as <c>rasa test</c> plays Rasa's: each user message goes to the channel the
/// story names (the REST webhook, with the driver's bearer token when signed in; Telegram and WhatsApp chats through the
/// assistant as their webhooks call it), and the replies are held against the bot steps that follow it, one bot step
/// per reply. A user step's intent and annotated entities are held against <c>POST /model/parse</c> of the same text
/// (a button payload against its own intent, as the assistant reads a payload without the NLU).
/// </summary>
public sealed partial class StoryRunner(BookingFactory factory)
{
    [GeneratedRegex(@"^/(?<intent>[a-z_]{1,40})(?:\{.*\})?$", RegexOptions.Singleline)]
    private static partial Regex Payload();

    private sealed record Reply(string Text, IReadOnlyList<string> Payloads);

    public async Task PlayAsync(ChatStory story)
    {
        using var world = await StoryWorld.SetUpAsync(factory, story);
        var transcript = new StringBuilder();
        var replies = new Queue<Reply>();
        for (var i = 0; i < story.Steps.Count; i++)
        {
            var step = story.Steps[i];
            StoryFailedException Failed(string expected, string actual) =>
                new($"{story.File} line {step.Line}, story '{story.Name}', step {i + 1}:\n  expected: {expected}\n  actual:   {actual}\n" +
                    $"conversation so far (sender {world.Sender}):\n{transcript}");
            switch (step)
            {
                case UserStep user:
                    if (replies.Count > 0) throw Failed("no more replies before the next user message", $"\"{replies.Peek().Text}\"");
                    var text = MessageText(world, user, out var annotated);
                    transcript.Append("  user: ").AppendLine(Shorten(text));
                    // Read before sending, so a misread names its own step even when the reply happens to be right.
                    if (user.Intent is { } intent && await MisreadAsync(text, intent, annotated) is { } misread) throw Failed($"intent {intent}{Show(annotated)}", misread);
                    foreach (var reply in await SendAsync(world, text))
                    {
                        replies.Enqueue(reply);
                        transcript.Append("  bot:  ").AppendLine(reply.Text.Replace("\n", "\n        ", StringComparison.Ordinal));
                        if (reply.Payloads.Count > 0) transcript.Append("        [").AppendJoin(" | ", reply.Payloads).AppendLine("]");
                    }
                    break;
                case BotStep bot:
                    if (!replies.TryDequeue(out var next)) throw Failed($"a reply {world.Fill(bot.Expected)}", "no (further) reply");
                    if (!Matches(world, bot.Expected, next.Text))
                        throw Failed($"a reply {(IsRegex(bot.Expected) ? "matching" : "containing")} {world.Fill(bot.Expected)}", $"\"{next.Text}\"");
                    var missing = (bot.Buttons ?? []).Select(b => world.Fill(b)).Where(b => !next.Payloads.Contains(b)).ToList();
                    if (missing.Count > 0) throw Failed($"buttons {string.Join(", ", missing)}", $"buttons {(next.Payloads.Count == 0 ? "none" : string.Join(", ", next.Payloads))}");
                    break;
                case CheckStep check:
                    if (replies.Count > 0) throw Failed("no more replies before the check", $"\"{replies.Peek().Text}\"");
                    if (await StoryFacts.CheckAsync(world, check.Fact) is { } wrong) throw Failed(check.Fact, wrong);
                    break;
            }
        }
        if (replies.Count > 0)
            throw new StoryFailedException($"{story.File} line {story.Line}, story '{story.Name}': a reply no bot step expects: \"{replies.Peek().Text}\"\n{transcript}");
    }

    /// <summary>Null when the message reads as the story says (intent, and exactly the annotated entities); else what it read.</summary>
    private async Task<string?> MisreadAsync(string message, string intent, NluExample? annotated)
    {
        if (Payload().Match(message) is { Success: true } payload)
            return payload.Groups["intent"].Value == intent ? null : $"the payload's intent {payload.Groups["intent"].Value}";
        var parsed = await ParseAsync(message);
        var found = parsed.GetProperty("intent").Str("name");
        var entities = parsed.GetProperty("entities").EnumerateArray()
            .Select(e => (Entity: e.Str("entity"), Start: e.GetProperty("start").GetInt32(), End: e.GetProperty("end").GetInt32(), Value: e.Str("value"))).ToList();
        var expected = annotated?.Entities ?? [];
        var sameEntities = entities.Count == expected.Count && expected.All(a => entities.Any(e =>
            e.Entity == a.Entity && e.Start == a.Start && e.End == a.End
            // A value is checked only where the annotation gives one ([charger](space_type:ev)); times and names by their span.
            && (a.Value == message[a.Start..a.End] || a.Value == e.Value)));
        if (found == intent && sameEntities) return null;
        var ranking = string.Join(", ", parsed.GetProperty("intent_ranking").EnumerateArray().Take(3)
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Str("name")} {r.GetProperty("confidence").GetDouble():0.00}")));
        return $"intent {found} ({ranking}), entities [{string.Join(", ", entities.Select(e => $"{message[e.Start..e.End]}({e.Entity}={e.Value})"))}]";
    }

    /// <summary>The message to send: placeholders filled and entity annotations stripped (kept in <paramref name="annotated"/>).</summary>
    private static string MessageText(StoryWorld world, UserStep user, out NluExample? annotated)
    {
        var text = world.Fill(user.Text);
        if (Payload().IsMatch(text))
        {
            annotated = null;
            return text;
        }
        try
        {
            annotated = RasaNluYaml.Example(user.Intent ?? "", text, $"line {user.Line}");
        }
        catch (NluDataException e)
        {
            throw new StoryFormatException(e.Message);
        }
        return annotated.Text;
    }

    private async Task<JsonElement> ParseAsync(string text)
    {
        using var client = factory.CreateClient();
        return await (await client.PostAsJsonAsync("/model/parse", new { text })).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    private async Task<IReadOnlyList<Reply>> SendAsync(StoryWorld world, string text)
    {
        if (world.Fixtures.Channel != ChatChannels.Rest)
        {
            // Telegram and WhatsApp vouch for who is writing; their webhooks hand the message to the assistant like this.
            var assistant = factory.Services.GetRequiredService<ChatAssistant>();
            var answers = await assistant.ReplyAsync(new ChatSender(world.Fixtures.Channel, world.Sender), text, CancellationToken.None);
            return answers.Select(a => new Reply(a.Text, (a.Buttons ?? []).Select(b => b.Payload).ToList())).ToList();
        }
        using var anonymous = world.Driver is null ? factory.CreateClient() : null;
        var client = world.Driver ?? anonymous!;
        var body = await (await client.PostAsJsonAsync("/webhooks/rest/webhook", new { sender = world.Sender, message = text })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        return body.EnumerateArray().Select(r => new Reply(r.Str("text"),
            r.TryGetProperty("buttons", out var buttons) ? buttons.EnumerateArray().Select(b => b.Str("payload")).ToList() : [])).ToList();
    }

    private static bool IsRegex(string expected) => expected.Length > 2 && expected[0] == '/' && expected[^1] == '/';

    private static bool Matches(StoryWorld world, string expected, string actual) => IsRegex(expected)
        ? Regex.IsMatch(actual, world.Fill(expected[1..^1], Regex.Escape), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
        : actual.Contains(world.Fill(expected), StringComparison.Ordinal);

    private static string Show(NluExample? annotated) =>
        annotated is { Entities.Count: > 0 } a ? $", entities [{string.Join(", ", a.Entities.Select(e => $"{a.Text[e.Start..e.End]}({e.Entity})"))}]" : ", no entities";

    private static string Shorten(string text) => text.Length <= 200 ? text : $"{text[..200]}… ({text.Length} characters)";
}
