using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Notifications.Sms;

/// <summary>
/// SMS through Twilio's Messages REST API, called with HttpClient so the base URL can point anywhere (tests use a
/// local fake). Twilio takes one message per request; a batch is sent one by one. 429 and 5xx are worth another try
/// (429 with Twilio's Retry-After when given), other 4xx (e.g. 21211, an invalid 'To') are final.
/// </summary>
public sealed class TwilioSmsChannel(IHttpClientFactory http, IOptions<NotificationOptions> options, ILogger<TwilioSmsChannel> logger) : INotificationChannel
{
    public const string HttpClientName = "twilio";

    /// <summary>Twilio's longest message body.</summary>
    private const int MaxBodyLength = 1600;

    public ChannelKind Kind => ChannelKind.Sms;
    public bool IsConfigured => options.Value.Twilio.IsConfigured;
    public int MaxBatch => 100;

    public async Task<IReadOnlyList<ChannelResult>> SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
    {
        var results = new List<ChannelResult>(messages.Count);
        foreach (var message in messages) results.Add(await SendOneAsync(message, ct));
        return results;
    }

    private async Task<ChannelResult> SendOneAsync(OutgoingMessage message, CancellationToken ct)
    {
        var o = options.Value.Twilio;
        var form = new List<KeyValuePair<string, string>> { new("To", message.Address), new("Body", Body(message)) };
        form.Add(string.IsNullOrWhiteSpace(o.MessagingServiceSid) ? new("From", o.From!) : new("MessagingServiceSid", o.MessagingServiceSid));
        if (!string.IsNullOrWhiteSpace(o.StatusCallbackUrl)) form.Add(new("StatusCallback", o.StatusCallbackUrl));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(o.BaseUrl.TrimEnd('/') + "/"), $"2010-04-01/Accounts/{Uri.EscapeDataString(o.AccountSid!)}/Messages.json"))
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.AccountSid}:{o.AuthToken}")));
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
                return ReadSid(body) is { } sid
                    ? new ChannelResult(message.MessageId, DeliveryOutcome.Sent, sid)
                    : new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "Twilio's answer had no message sid.");
            var error = $"Twilio {(int)response.StatusCode}{ErrorText(body)}";
            if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: error, RetryAfter: RetryAfter(response));
            return new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: error);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Twilio not reachable: {Error}", e.Message);
            return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: $"Twilio not reachable: {e.Message}");
        }
    }

    /// <summary>The text part; the subject says it all in a mail, but an SMS has only its body.</summary>
    private static string Body(OutgoingMessage message)
    {
        var text = message.Text.Trim();
        return text.Length <= MaxBodyLength ? text : text[..(MaxBodyLength - 1)] + "…";
    }

    private static string? ReadSid(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("sid", out var sid) ? sid.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Twilio's error object (code, message) as words for the delivery log.</summary>
    private static string ErrorText(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var code = root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? $" (code {c.GetInt32()})" : "";
            var text = root.TryGetProperty("message", out var m) ? $": {m.GetString()}" : "";
            return code + text;
        }
        catch (JsonException) { return ""; }
    }

    /// <summary>Retry-After in seconds or as a date; null when the answer does not say.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };
}
