using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace SmartParking.Server.Modules.Notifications.Webhooks;

/// <summary>
/// Signed POSTs to operators' own systems. The body is the message's Text (the event's JSON envelope), the event type its
/// Subject. The signature is HMAC-SHA256 with the endpoint's secret over "{timestamp}.{body}", so a receiver can check
/// both who sent it and that it is fresh; the delivery id is the message id, the same on every retry, so a receiver
/// can drop a repeat.
/// </summary>
public sealed class WebhookChannel(IHttpClientFactory http, WebhookSubscriptions webhooks, TimeProvider time) : INotificationChannel
{
    public const string HttpClientName = "webhooks";
    public const string EventHeader = "X-SmartParking-Event";
    public const string DeliveryHeader = "X-SmartParking-Delivery";
    public const string TimestampHeader = "X-SmartParking-Timestamp";
    public const string SignatureHeader = "X-SmartParking-Signature";

    public ChannelKind Kind => ChannelKind.Webhook;

    /// <summary>Each endpoint brings its own URL and secret, so there is nothing to configure per deployment.</summary>
    public bool IsConfigured => true;

    public int MaxBatch => 20;

    public async Task<IReadOnlyList<ChannelResult>> SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
    {
        var client = http.CreateClient(HttpClientName);
        var results = new List<ChannelResult>(messages.Count);
        foreach (var message in messages) results.Add(await SendAsync(client, message, ct));
        return results;
    }

    /// <summary>"sha256=" and the lower-case hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, of timestamp "." body.</summary>
    public static string Signature(string secret, string timestamp, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));

    private async Task<ChannelResult> SendAsync(HttpClient client, OutgoingMessage message, CancellationToken ct)
    {
        if (message.SigningSecret is not { Length: > 0 } secret)
            return new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: "A webhook message needs its endpoint's signing secret.");
        if (!Uri.TryCreate(message.Address, UriKind.Absolute, out var url))
            return new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: "A webhook address is an absolute URL.");
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(message.Text, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(EventHeader, message.Subject);
        request.Headers.Add(DeliveryHeader, message.MessageId.ToString());
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, Signature(secret, timestamp, message.Text));
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            var error = $"The receiver answered {status}.";
            if (response.IsSuccessStatusCode) return new ChannelResult(message.MessageId, DeliveryOutcome.Sent);
            if (response.StatusCode == HttpStatusCode.Gone)
            {
                await webhooks.DisableAsync(message.Address, secret, ct);
                return new ChannelResult(message.MessageId, DeliveryOutcome.AddressGone, Error: error + " The endpoint is disabled.");
            }
            return response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500
                ? new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: error, RetryAfter: RetryAfterHeader.Wait(response.Headers, time.GetUtcNow()))
                // Redirects are not followed (the signature is for the registered URL), so they fail with other 4xx.
                : new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: error);
        }
        catch (HttpRequestException e) when (e.InnerException is PrivateHostRefusedException refused)
        {
            return new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: refused.Message);
        }
        catch (HttpRequestException e)
        {
            return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "The receiver is unreachable: " + e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "The receiver did not answer in time.");
        }
    }
}
