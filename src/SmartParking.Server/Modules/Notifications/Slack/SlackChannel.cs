using System.Net;
using System.Net.Http.Headers;
using SmartParking.Server.Modules.Notifications.Webhooks;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SmartParking.Server.Modules.Notifications.Slack;

/// <summary>
/// Slack incoming webhooks for operator teams: the address is the webhook URL Slack gave the team. Slack answers 200
/// with the body "ok", or an error code in the body (invalid_payload, action_prohibited, no_service,
/// channel_is_archived, …) that no retry can fix; 429 (with Retry-After) and 5xx are worth another try.
/// </summary>
public sealed class SlackChannel(IHttpClientFactory http, TimeProvider time) : INotificationChannel
{
    public const string HttpClientName = "slack";

    public ChannelKind Kind => ChannelKind.Slack;

    /// <summary>Each team brings its own webhook URL, so there is nothing to configure per deployment.</summary>
    public bool IsConfigured => true;

    public int MaxBatch => 20;

    public async Task<IReadOnlyList<ChannelResult>> SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
    {
        var client = http.CreateClient(HttpClientName);
        var results = new List<ChannelResult>(messages.Count);
        foreach (var message in messages) results.Add(await SendAsync(client, message, ct));
        return results;
    }

    private async Task<ChannelResult> SendAsync(HttpClient client, OutgoingMessage message, CancellationToken ct)
    {
        if (!Uri.TryCreate(message.Address, UriKind.Absolute, out var url))
            return new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: "A Slack address is an incoming-webhook URL.");
        try
        {
            using var response = await client.PostAsJsonAsync(url, Payload(message), ct);
            var body = (await response.Content.ReadAsStringAsync(ct)).Trim();
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.OK) return new ChannelResult(message.MessageId, DeliveryOutcome.Sent);
            var error = $"Slack answered {status}" + (body.Length > 0 ? $": {Shorten(body)}" : "");
            return response.StatusCode == HttpStatusCode.TooManyRequests || status >= 500
                ? new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: error, RetryAfter: RetryAfter(response.Headers))
                : new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: error);
        }
        catch (HttpRequestException e)
        {
            return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "Slack unreachable: " + e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "Slack did not answer in time.");
        }
    }

    /// <summary>
    /// The plain text for notifications and clients without blocks, and a section block with the subject in bold and
    /// the link. Slack's mrkdwn takes &amp;, &lt; and &gt; as markup, so they are escaped as its documentation says.
    /// </summary>
    internal static JsonObject Payload(OutgoingMessage message)
    {
        var text = $"*{Escape(message.Subject)}*\n{Escape(message.Text)}";
        if (message.Link is { } link) text += $"\n<{Escape(link)}|Open>";
        return new JsonObject
        {
            ["text"] = text,
            ["blocks"] = new JsonArray(new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text },
            }),
        };
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Shorten(string body) => body.Length <= 200 ? body : body[..200];

    private TimeSpan? RetryAfter(HttpResponseHeaders? headers) => RetryAfterHeader.Wait(headers, time.GetUtcNow());
}
