using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>
/// The Telegram Bot API as documented: POST /bot{token}/{method} with a JSON body; {"ok": true, "result": …} on success,
/// {"ok": false, "error_code", "description", "parameters": {"retry_after"}} on failure (401 for an unknown token, 403
/// when the user blocked the bot, 429 with retry_after, 500). Answers per chat can be scripted.
/// </summary>
public sealed class FakeTelegram : FakeServiceServer
{
    public const string Token = "123456789:AAH-fake-telegram-token_for-tests";

    public sealed record Call(string Method, JsonElement Body)
    {
        public long? ChatId => Body.TryGetProperty("chat_id", out var id) ? id.GetInt64() : null;
        public string? Text => Body.TryGetProperty("text", out var text) ? text.GetString() : null;
    }

    private readonly ConcurrentDictionary<long, ConcurrentQueue<int>> _scripts = new();
    private long _messageIds;

    public ConcurrentQueue<Call> Calls { get; } = new();

    public IReadOnlyList<Call> MessagesTo(long chatId) => Calls.Where(c => c.Method == "sendMessage" && c.ChatId == chatId).ToList();

    /// <summary>The next sendMessage requests to this chat are answered with these statuses, in order; then 200.</summary>
    public void Answer(long chatId, params int[] statuses)
    {
        var queue = _scripts.GetOrAdd(chatId, _ => new ConcurrentQueue<int>());
        foreach (var status in statuses) queue.Enqueue(status);
    }

    protected override void Map(WebApplication app) =>
        app.MapPost("/bot{token}/{method}", async (string token, string method, HttpRequest request) =>
        {
            if (token != Token) return Error(401, "Unauthorized");
            var body = (await JsonDocument.ParseAsync(request.Body)).RootElement.Clone();
            var call = new Call(method, body);
            var status = call.ChatId is { } chat && _scripts.TryGetValue(chat, out var script) && script.TryDequeue(out var scripted) ? scripted : 200;
            Calls.Enqueue(call);
            return status switch
            {
                200 => method switch
                {
                    "sendMessage" => Results.Json(new
                    {
                        ok = true,
                        result = new
                        {
                            message_id = Interlocked.Increment(ref _messageIds), date = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                            chat = new { id = call.ChatId, type = "private" }, text = call.Text,
                        },
                    }),
                    "answerCallbackQuery" or "setWebhook" => Results.Json(new { ok = true, result = true }),
                    _ => Error(404, "Not Found: method not found"),
                },
                403 => Error(403, "Forbidden: bot was blocked by the user"),
                429 => Results.Json(new { ok = false, error_code = 429, description = "Too Many Requests: retry after 1", parameters = new { retry_after = 1 } }, statusCode: 429),
                _ => Error(status, "Internal Server Error"),
            };
        });

    private static IResult Error(int status, string description) => Results.Json(new { ok = false, error_code = status, description }, statusCode: status);
}
