using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Chat;

/// <summary>
/// The WhatsApp Cloud API's send endpoint as documented: POST /{version}/{phone_number_id}/messages with a Bearer
/// access token and a JSON message; {"messaging_product": "whatsapp", "contacts": [{input, wa_id}], "messages": [{id}]}
/// on success, {"error": {message, type, code, fbtrace_id}} on failure. Answers per recipient can be scripted.
/// </summary>
public sealed class FakeWhatsApp : FakeServiceServer
{
    public const string AccessToken = "EAAG-fake-whatsapp-access-token";

    public sealed record Call(string Version, string PhoneNumberId, string? Authorization, JsonElement Body)
    {
        public string To => Body.GetProperty("to").GetString()!;
        public string Type => Body.GetProperty("type").GetString()!;

        /// <summary>The text the user sees: a text message's body or an interactive message's body text.</summary>
        public string Text => Type == "text" ? Body.GetProperty("text").GetProperty("body").GetString()! : Body.GetProperty("interactive").GetProperty("body").GetProperty("text").GetString()!;
    }

    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripts = new();

    public ConcurrentQueue<Call> Calls { get; } = new();

    public IReadOnlyList<Call> MessagesTo(string number) => Calls.Where(c => c.To == number).ToList();

    /// <summary>The next sends to this number are answered with these statuses, in order; then 200.</summary>
    public void Answer(string number, params int[] statuses)
    {
        var queue = _scripts.GetOrAdd(number, _ => new ConcurrentQueue<int>());
        foreach (var status in statuses) queue.Enqueue(status);
    }

    protected override void Map(WebApplication app) =>
        app.MapPost("/{version}/{phoneNumberId}/messages", async (string version, string phoneNumberId, HttpRequest request) =>
        {
            var authorization = request.Headers.Authorization.ToString();
            if (authorization != "Bearer " + AccessToken) return Error(401, 190, "Invalid OAuth access token - Cannot parse access token");
            var call = new Call(version, phoneNumberId, authorization, (await JsonDocument.ParseAsync(request.Body)).RootElement.Clone());
            var status = _scripts.TryGetValue(call.To, out var script) && script.TryDequeue(out var scripted) ? scripted : 200;
            Calls.Enqueue(call);
            return status switch
            {
                200 => Results.Json(new
                {
                    messaging_product = "whatsapp",
                    contacts = new[] { new { input = call.To, wa_id = call.To } },
                    messages = new[] { new { id = "wamid." + Guid.NewGuid().ToString("N") } },
                }),
                400 => Error(400, 131030, "(#131030) Recipient phone number not in allowed list"),
                _ => Error(status, 1, "An unknown error has occurred."),
            };
        });

    private static IResult Error(int status, int code, string message) =>
        Results.Json(new { error = new { message, type = "OAuthException", code, fbtrace_id = "A" + Guid.NewGuid().ToString("N")[..20] } }, statusCode: status);
}
