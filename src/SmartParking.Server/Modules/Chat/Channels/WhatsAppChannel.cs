using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>
/// The assistant on a WhatsApp Cloud API number, through the documented Graph API (no official .NET SDK). Each incoming
/// message is answered once (Meta retries deliveries): text and reply-button presses go to the assistant, anything else
/// gets a polite "text only"; replies with buttons become interactive reply-button messages (at most three, titles of
/// at most 20 characters, as WhatsApp allows).
/// </summary>
public sealed partial class WhatsAppChannel(IHttpClientFactory http, IOptions<WhatsAppOptions> options, ChatAssistant assistant, ChannelUpdates updates,
    TimeProvider time, ILogger<WhatsAppChannel> logger)
    : IOutboundChannel
{
    public const string HttpClientName = "whatsapp";

    private const int MaxButtons = 3;
    private const int MaxTitleChars = 20;
    private const int MaxButtonIdChars = 256;
    private const int MaxTextChars = 4096;
    private const int MaxInteractiveBodyChars = 1024;

    /// <summary>Meta's rate-limit error codes, sent with 400: the same message will go through later.</summary>
    private static readonly HashSet<int> RateLimitCodes = [4, 80007, 130429, 131056];

    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly WhatsAppOptions _options = options.Value;
    private readonly ChannelSender _sender = new("WhatsApp", options.Value, time, logger);

    [GeneratedRegex(@"^\d{1,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();

    public bool IsConfigured => _options.IsConfigured;

    public string Channel => ChatChannels.WhatsApp;

    /// <summary>
    /// A message nobody asked for just now (an operator's answer) to <paramref name="recipient"/>, from the business
    /// number they wrote to (<paramref name="replyVia"/>). WhatsApp takes it within 24 hours of the user's last message.
    /// </summary>
    public async Task<bool> SendAsync(string recipient, string? replyVia, ChatReply message, CancellationToken ct) =>
        IsConfigured && replyVia is { } phoneNumberId && Digits().IsMatch(phoneNumberId) && Digits().IsMatch(recipient)
        && await _sender.SendAsync("message", token => PostAsync(phoneNumberId, Message(recipient, message), token), ct);

    public async Task HandleAsync(WhatsAppNotification notification, CancellationToken ct)
    {
        foreach (var value in (notification.Entry ?? []).SelectMany(e => e?.Changes ?? []).Select(c => c?.Value).OfType<WhatsAppValue>())
        {
            if (value.Messages is not { Count: > 0 } messages) continue; // statuses (sent, delivered, read) need no answer
            if (value.Metadata?.PhoneNumberId is not { } phoneNumberId || !Digits().IsMatch(phoneNumberId))
            {
                logger.LogWarning("WhatsApp notification without a valid metadata.phone_number_id ignored");
                continue;
            }
            foreach (var message in messages.OfType<WhatsAppMessage>())
            {
                if (message is not { Id: { Length: > 0 and <= 256 } id, From: { } from } || !Digits().IsMatch(from))
                {
                    logger.LogWarning("WhatsApp message without a valid id or sender ignored");
                    continue;
                }
                await updates.HandleOnceAsync(ChatChannels.WhatsApp, id, async () =>
                {
                    var replies = Payload(message) is { } text
                        ? await assistant.ReplyAsync(new ChatSender(ChatChannels.WhatsApp, from, ReplyVia: phoneNumberId), text, ct)
                        : [new ChatReply("Sorry, I can only read text. Please type what you need.")];
                    foreach (var reply in replies)
                        await _sender.SendAsync("reply", token => PostAsync(phoneNumberId, Message(from, reply), token), ct);
                }, ct);
            }
        }
    }

    /// <summary>What the user said: the text, or the id (our payload) of the reply button or list row they chose.</summary>
    private static string? Payload(WhatsAppMessage message) => message.Type switch
    {
        "text" => message.Text?.Body,
        "interactive" => message.Interactive?.ButtonReply?.Id ?? message.Interactive?.ListReply?.Id,
        "button" => message.Button?.Payload,
        _ => null,
    };

    private static object Message(string to, ChatReply reply)
    {
        var buttons = (reply.Buttons ?? []).Where(b => b.Payload.Length <= MaxButtonIdChars).Take(MaxButtons).ToList();
        if (buttons.Count == 0)
            return new { messaging_product = "whatsapp", recipient_type = "individual", to, type = "text", text = new { body = Shorten(reply.Text, MaxTextChars), preview_url = false } };
        var titles = UniqueTitles(buttons.Select(b => b.Title));
        return new
        {
            messaging_product = "whatsapp",
            recipient_type = "individual",
            to,
            type = "interactive",
            interactive = new
            {
                type = "button",
                body = new { text = Shorten(reply.Text, MaxInteractiveBodyChars) },
                action = new { buttons = buttons.Select((b, i) => new { type = "reply", reply = new { id = b.Payload, title = titles[i] } }).ToList() },
            },
        };
    }

    /// <summary>Titles WhatsApp takes: at most 20 characters, and no two alike (a shortened duplicate is numbered).</summary>
    public static IReadOnlyList<string> UniqueTitles(IEnumerable<string> titles)
    {
        var result = new List<string>();
        foreach (var title in titles)
        {
            var candidate = Shorten(title.Trim(), MaxTitleChars);
            for (var n = 2; result.Contains(candidate, StringComparer.OrdinalIgnoreCase); n++)
            {
                var suffix = " " + n.ToString(CultureInfo.InvariantCulture);
                candidate = Shorten(title.Trim(), MaxTitleChars - suffix.Length) + suffix;
            }
            result.Add(candidate);
        }
        return result;
    }

    /// <summary>At most <paramref name="max"/> characters: cut at a word when one ends late enough, marked with an ellipsis.</summary>
    public static string Shorten(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = text[..(max - 1)];
        if (char.IsHighSurrogate(cut[^1])) cut = cut[..^1];
        var space = cut.LastIndexOf(' ');
        return (space >= max / 2 ? cut[..space] : cut).TrimEnd() + "…";
    }

    private async Task PostAsync(string phoneNumberId, object message, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_options.GraphBaseUrl.TrimEnd('/')}/{_options.ApiVersion}/{phoneNumberId}/messages")
        {
            Content = JsonContent.Create(message),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.AccessToken);
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return;
            var (code, text) = Error(await response.Content.ReadAsStringAsync(ct));
            var error = $"{(int)response.StatusCode}{(code is null ? "" : $" (code {code})")}{text}";
            if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500 || code is { } c && RateLimitCodes.Contains(c))
                throw new TransientSendException(error, response.Headers.RetryAfter?.Delta);
            throw new PermanentSendException(error);
        }
        // A timeout or no connection; the caller's own cancellation is not a provider failure and ends the request.
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new TransientSendException("not reachable: " + e.Message);
        }
    }

    /// <summary>Graph API's error object: {"error": {"message", "code", …}}.</summary>
    private static (int? Code, string Text) Error(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object) return (null, "");
            var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var number) ? number : (int?)null;
            return (code, error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? ": " + m.GetString() : "");
        }
        catch (JsonException) { return (null, ""); }
    }
}

/// <summary>A webhook notification as Meta sends it (only what the assistant reads).</summary>
public sealed record WhatsAppNotification(string? Object, List<WhatsAppEntry?>? Entry);

public sealed record WhatsAppEntry(string? Id, List<WhatsAppChange?>? Changes);

public sealed record WhatsAppChange(string? Field, WhatsAppValue? Value);

public sealed record WhatsAppValue(WhatsAppMetadata? Metadata, List<WhatsAppMessage?>? Messages);

public sealed record WhatsAppMetadata(string? PhoneNumberId);

public sealed record WhatsAppMessage(string? From, string? Id, string? Type, WhatsAppText? Text, WhatsAppInteractive? Interactive, WhatsAppButton? Button);

public sealed record WhatsAppText(string? Body);

public sealed record WhatsAppInteractive(string? Type, WhatsAppChoice? ButtonReply, WhatsAppChoice? ListReply);

public sealed record WhatsAppChoice(string? Id, string? Title);

/// <summary>A template's quick-reply button press.</summary>
public sealed record WhatsAppButton(string? Payload, string? Text);
