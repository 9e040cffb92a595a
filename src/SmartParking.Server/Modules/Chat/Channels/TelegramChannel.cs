using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>
/// The assistant as a Telegram bot: a private chat's text (or a button press, whose callback data is the button's
/// payload) goes to the assistant, each reply goes back with sendMessage, buttons as an inline keyboard. Group chats are
/// not answered: the assistant talks to one person at a time.
/// </summary>
public sealed class TelegramChannel(IHttpClientFactory http, IOptions<TelegramOptions> options, ChatAssistant assistant, ChannelUpdates updates, TimeProvider time, ILogger<TelegramChannel> logger)
    : IOutboundChannel
{
    public const string HttpClientName = "telegram";

    /// <summary>Telegram's limit on callback_data; a longer payload cannot be a button (cut, it would mean something else).</summary>
    private const int MaxCallbackDataBytes = 64;

    private readonly TelegramOptions _options = options.Value;
    private readonly ChannelSender _sender = new("Telegram", options.Value, time, logger);

    public bool IsConfigured => _options.IsConfigured;

    public string Channel => ChatChannels.Telegram;

    /// <summary>A message nobody asked for just now (an operator's answer) to the chat <paramref name="recipient"/>.</summary>
    public async Task<bool> SendAsync(string recipient, string? replyVia, ChatReply message, CancellationToken ct) =>
        IsConfigured && long.TryParse(recipient, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chatId) && await SendAsync(chatId, [message], ct);

    // The library's own 429 retries are off: retries here follow Chat:Telegram's limits like every other failure.
    private ITelegramBotClient Client() =>
        new TelegramBotClient(new TelegramBotClientOptions(_options.BotToken!, _options.ApiBaseUrl) { RetryCount = 0 }, http.CreateClient(HttpClientName));

    /// <summary>Answers the update unless it was answered before (Telegram retries an update it thinks failed).</summary>
    public Task HandleAsync(Update update, CancellationToken ct) =>
        updates.HandleOnceAsync(ChatChannels.Telegram, update.Id.ToString(CultureInfo.InvariantCulture), () => AnswerAsync(update, ct), ct);

    private async Task AnswerAsync(Update update, CancellationToken ct)
    {
        switch (update)
        {
            case { Message: { } message }:
                if (message.Chat.Type != ChatType.Private) return;
                var replies = message.Text is { } text
                    ? await assistant.ReplyAsync(Sender(message.Chat.Id), text, ct)
                    : [CannotRead(message.From?.LanguageCode)];
                await SendAsync(message.Chat.Id, replies, ct);
                break;
            case { CallbackQuery: { } press }:
                // Answered first, so the button stops spinning whatever happens next.
                await _sender.SendAsync("callback answer", token => Call((client, t) => client.AnswerCallbackQuery(press.Id, cancellationToken: t), token), ct);
                if (press.Message is { Chat.Type: not ChatType.Private } || press.Data is not { } payload) return;
                // In a private chat the chat's id is the user's.
                var chatId = press.Message?.Chat.Id ?? press.From.Id;
                await SendAsync(chatId, await assistant.ReplyAsync(Sender(chatId), payload, ct), ct);
                break;
            // Edits, reactions, membership changes, …: nothing to answer.
        }
    }

    /// <summary>Registers the webhook (setWebhook with the secret); true when Telegram took it.</summary>
    public Task<bool> RegisterWebhookAsync(string url, CancellationToken ct) =>
        _sender.SendAsync("webhook registration", token => Call((client, t) => client.SetWebhook(url, secretToken: _options.WebhookSecret, cancellationToken: t), token), ct);

    private static ChatSender Sender(long chatId) => new(ChatChannels.Telegram, chatId.ToString(CultureInfo.InvariantCulture));

    /// <summary>True when Telegram took every reply.</summary>
    private async Task<bool> SendAsync(long chatId, IReadOnlyList<ChatReply> replies, CancellationToken ct)
    {
        var all = true;
        foreach (var reply in replies)
        {
            var keyboard = reply.Buttons?.Where(b => Encoding.UTF8.GetByteCount(b.Payload) <= MaxCallbackDataBytes)
                .Select(b => new[] { InlineKeyboardButton.WithCallbackData(b.Title, b.Payload) }).ToList();
            all &= await _sender.SendAsync("reply", token => Call((client, t) => client.SendMessage(chatId, reply.Text,
                replyMarkup: keyboard is { Count: > 0 } ? new InlineKeyboardMarkup(keyboard) : null, cancellationToken: t), token), ct);
        }
        return all;
    }

    /// <summary>Telegram.Bot's failures as transient (5xx, 429, no answer) or final (other 4xx), with the bot token never in the text.</summary>
    private async Task Call(Func<ITelegramBotClient, CancellationToken, Task> call, CancellationToken ct)
    {
        try
        {
            await call(Client(), ct);
        }
        catch (ApiRequestException e) when (e.ErrorCode is 429 or >= 500)
        {
            throw new TransientSendException($"{e.ErrorCode} {Redact(e.Message)}", e.Parameters?.RetryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        }
        catch (ApiRequestException e)
        {
            throw new PermanentSendException($"{e.ErrorCode} {Redact(e.Message)}");
        }
        // A timeout or no connection; the caller's own cancellation is not a provider failure and ends the request.
        catch (Exception e) when (e is RequestException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new TransientSendException("not reachable: " + Redact(e.InnerException?.Message ?? e.Message));
        }
    }

    private string Redact(string text) => text.Replace(_options.BotToken!, "<bot token>", StringComparison.Ordinal);

    private static ChatReply CannotRead(string? language) => new(language?.StartsWith("da", StringComparison.OrdinalIgnoreCase) == true
        ? "Beklager, jeg kan kun læse tekst. Skriv gerne, hvad du har brug for."
        : "Sorry, I can only read text. Please type what you need.");
}
