using System.Net;
using System.Net.Http.Headers;
using SmartParking.Server.Modules.Notifications.Webhooks;
using System.Text.Json;
using Lib.Net.Http.WebPush;
using Lib.Net.Http.WebPush.Authentication;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Notifications.Push;

/// <summary>
/// Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) to every device of a driver: the address is
/// the driver's id. Devices that already took a message are skipped when it is tried again, so a retry after one
/// device failed reaches only the ones that missed it.
/// </summary>
public sealed class WebPushChannel(
    IOptions<WebPushOptions> options, VapidKeys keys, PushSubscriptions subscriptions, IHttpClientFactory http, TimeProvider time, ILogger<WebPushChannel> log)
    : INotificationChannel
{
    public const string HttpClientName = "web-push";

    public ChannelKind Kind => ChannelKind.Push;
    public bool IsConfigured => options.Value.IsConfigured;
    public int MaxBatch => 50;

    public async Task<IReadOnlyList<ChannelResult>> SendAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
    {
        var pair = await keys.GetAsync(ct);
        using var vapid = new VapidAuthentication(pair.PublicKey, pair.PrivateKey) { Subject = options.Value.Subject };
        var client = Client(vapid);
        var results = new List<ChannelResult>(messages.Count);
        foreach (var message in messages) results.Add(await SendAsync(client, message, ct));
        return results;
    }

    private PushServiceClient Client(VapidAuthentication vapid) =>
        new(http.CreateClient(HttpClientName))
        {
            DefaultAuthentication = vapid,
            DefaultAuthenticationScheme = VapidAuthenticationScheme.Vapid,
            // Retries are the pipeline's: a 429 is reported with its Retry-After, not waited out here.
            AutoRetryAfter = false,
            DefaultTimeToLive = options.Value.TimeToLiveSeconds,
        };

    private async Task<ChannelResult> SendAsync(PushServiceClient client, OutgoingMessage message, CancellationToken ct)
    {
        if (!Guid.TryParse(message.Address, out var driverId))
            return new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: "A Web Push address is a driver id.");
        var (pending, total) = await subscriptions.ForDeliveryAsync(driverId, message.MessageId, ct);
        if (total == 0) return new ChannelResult(message.MessageId, DeliveryOutcome.AddressGone, Error: "The driver has no push subscriptions.");

        var payload = JsonSerializer.Serialize(new { title = message.Subject, body = message.Text, url = message.Link });
        var sent = total - pending.Count;
        var gone = 0;
        var permanent = new List<string>();
        ChannelResult? transient = null;
        foreach (var device in pending)
        {
            var outcome = await SendToDeviceAsync(client, device, payload, message, ct);
            switch (outcome.Outcome)
            {
                case DeliveryOutcome.Sent:
                    await subscriptions.RecordDeliveryAsync(message.MessageId, device.Id, ct);
                    sent++;
                    break;
                case DeliveryOutcome.AddressGone:
                    await subscriptions.ForgetAsync(device.Id, ct);
                    gone++;
                    break;
                case DeliveryOutcome.TransientFailure:
                    // The longest wait any device asked for, so none is tried too early.
                    if (transient is null || (outcome.RetryAfter ?? TimeSpan.Zero) > (transient.RetryAfter ?? TimeSpan.Zero)) transient = outcome;
                    break;
                default:
                    permanent.Add(outcome.Error ?? "refused");
                    break;
            }
        }
        if (transient is not null) return transient with { MessageId = message.MessageId };
        if (sent > 0) return new ChannelResult(message.MessageId, DeliveryOutcome.Sent);
        if (permanent.Count > 0) return new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: string.Join("; ", permanent));
        return new ChannelResult(message.MessageId, DeliveryOutcome.AddressGone, Error: $"All {gone} subscriptions of the driver are gone.");
    }

    private async Task<ChannelResult> SendToDeviceAsync(PushServiceClient client, PushTarget device, string payload, OutgoingMessage message, CancellationToken ct)
    {
        var subscription = new PushSubscription { Endpoint = device.Endpoint };
        subscription.SetKey(PushEncryptionKeyName.P256DH, device.P256dh);
        subscription.SetKey(PushEncryptionKeyName.Auth, device.Auth);
        var push = new PushMessage(payload) { Urgency = message.Urgent ? PushMessageUrgency.High : PushMessageUrgency.Normal };
        try
        {
            await client.RequestPushMessageDeliveryAsync(subscription, push, ct);
            return new ChannelResult(message.MessageId, DeliveryOutcome.Sent);
        }
        catch (PushServiceClientException e)
        {
            var status = (int)e.StatusCode;
            var error = $"Push service answered {status} {e.Message}".TrimEnd();
            log.LogInformation("Web Push to {Host} answered {Status}", new Uri(device.Endpoint).Host, status);
            return e.StatusCode switch
            {
                // The library takes only 201 as success; 202 is also an acceptance.
                HttpStatusCode.Accepted => new ChannelResult(message.MessageId, DeliveryOutcome.Sent),
                HttpStatusCode.NotFound or HttpStatusCode.Gone => new ChannelResult(message.MessageId, DeliveryOutcome.AddressGone, Error: error),
                HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: error, RetryAfter: RetryAfter(e.Headers)),
                _ when status >= 500 => new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: error, RetryAfter: RetryAfter(e.Headers)),
                _ => new ChannelResult(message.MessageId, DeliveryOutcome.PermanentFailure, Error: error),
            };
        }
        catch (HttpRequestException e)
        {
            return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "Push service unreachable: " + e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ChannelResult(message.MessageId, DeliveryOutcome.TransientFailure, Error: "Push service did not answer in time.");
        }
    }

    private TimeSpan? RetryAfter(HttpResponseHeaders? headers) => RetryAfterHeader.Wait(headers, time.GetUtcNow());
}
