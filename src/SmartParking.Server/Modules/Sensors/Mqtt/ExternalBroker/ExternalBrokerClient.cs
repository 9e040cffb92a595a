using System.Buffers;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

namespace SmartParking.Server.Modules.Sensors.Mqtt.ExternalBroker;

/// <summary>
/// Subscribes to the city's own MQTT broker (MQTT 5, QoS 1, a persistent session) and passes each message through
/// the same <see cref="IMqttDeviceGateway"/> as the built-in broker; the broker has authenticated the device, so the
/// serial in the topic names it. A message is acknowledged only once the reading is durable, or when redelivering it
/// could never help (invalid, unknown sensor); one the platform cannot take now stays unacknowledged, and the
/// connection is dropped so the broker sends it again on the next one. Messages are ingested in parallel (up to
/// <see cref="ExternalBrokerOptions.MaxInflight"/>) and acknowledged in the order they came, as MQTT asks.
/// </summary>
internal sealed class ExternalBrokerClient(IMqttDeviceGateway gateway, IOptions<ExternalBrokerOptions> options, ExternalBrokerMetrics metrics,
    TimeProvider time, ILogger<ExternalBrokerClient> logger) : BackgroundService
{
    private static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);
    // On shutdown, messages already taken get this long to become durable and be acknowledged.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);
    private const string PlatformUnavailable = "the platform cannot take readings right now; reconnecting so the broker sends them again";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastLogged = new(StringComparer.Ordinal);
    private volatile string _state = "not connected yet";
    private volatile bool _connected;

    private sealed record Pending(MqttApplicationMessageReceivedEventArgs Message, Task<ExternalMessageOutcome> Outcome);

    public bool IsConnected => _connected;

    /// <summary>Where it connects and, when not connected, the last reason.</summary>
    public string State => _state;

    private string Broker => $"{options.Value.Host}:{options.Value.Port}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstReconnectDelay;
        var maxDelay = TimeSpan.FromSeconds(options.Value.MaxReconnectDelaySeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await RunConnectionAsync(stoppingToken)) delay = FirstReconnectDelay;
            try { await Task.Delay(delay, time, stoppingToken); }
            catch (OperationCanceledException) { return; }
            delay = delay * 2 > maxDelay ? maxDelay : delay * 2;
        }
    }

    /// <summary>
    /// One connection, from connect to its end; true when it worked (subscribed, and did not end because the platform
    /// could not take readings), so the next attempt need not back off further.
    /// </summary>
    private async Task<bool> RunConnectionAsync(CancellationToken stopping)
    {
        var settings = options.Value;
        using var client = new MqttClientFactory().CreateMqttClient();
        // Cancelled when the connection ends, and DrainTimeout after the host starts stopping: work still waiting for
        // the pipeline then stops waiting and is not acknowledged (the reading may still be stored; its redelivery is
        // then an exact duplicate, which the pipeline drops).
        using var connection = new CancellationTokenSource();
        await using var drain = stopping.Register(() => connection.CancelAfter(DrainTimeout));
        var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Unbounded here: the broker sends at most MaxInflight unacknowledged messages (Receive Maximum), and a
        // handler that blocked would stall the client's own disconnect.
        var inflight = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
        client.DisconnectedAsync += e =>
        {
            lost.TrySetResult(e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString());
            return Task.CompletedTask;
        };
        client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            // Taken no more once the host stops: left unacknowledged, the broker keeps it for the next start.
            if (stopping.IsCancellationRequested) return Task.CompletedTask;
            // Started here, so readings reach the pipeline's queue in arrival order; copied, as the message's buffer
            // is not ours once this handler returns.
            var work = IngestAsync(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), connection.Token);
            inflight.Writer.TryWrite(new Pending(e, work));
            return Task.CompletedTask;
        };

        var subscribed = false;
        var ended = "";
        try
        {
            var connected = await client.ConnectAsync(ClientOptions(settings), stopping);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
                throw new InvalidOperationException($"the broker refused the connection ({connected.ResultCode}{(connected.ReasonString is { } r ? ": " + r : "")})");
            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (var filter in settings.Subscriptions) subscribe.WithTopicFilter(f => f.WithTopic(filter).WithAtLeastOnceQoS());
            var granted = await client.SubscribeAsync(subscribe.Build(), stopping);
            var refused = granted.Items.Where(i => i.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2)).ToList();
            if (refused.Count > 0)
                throw new InvalidOperationException("the broker did not grant QoS 1 for " +
                    string.Join(", ", refused.Select(i => $"{i.TopicFilter.Topic} ({i.ResultCode})")) + "; check the broker's ACL for this user");
            subscribed = true;
            metrics.ConnectAttempt(true);
            SetConnected(true, $"connected to {Broker} as {settings.EffectiveClientId}");
            ExternalBrokerLog.Connected(logger, Broker, settings.EffectiveClientId, string.Join(", ", settings.Subscriptions), connected.IsSessionPresent);

            ended = await AcknowledgeInOrderAsync(inflight.Reader, lost.Task, stopping);
            SetConnected(false, ended);
            if (!stopping.IsCancellationRequested) ExternalBrokerLog.ConnectionLost(logger, Broker, ended);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            SetConnected(false, "the server is stopping");
        }
        catch (Exception e)
        {
            // One line: a broker that is away is an operating condition, not a bug.
            if (!subscribed) metrics.ConnectAttempt(false);
            SetConnected(false, e.Message);
            ExternalBrokerLog.ConnectFailed(logger, Broker, e.Message);
        }
        finally
        {
            await connection.CancelAsync();
            if (client.IsConnected)
            {
                // A normal DISCONNECT keeps the session (its expiry was set on connect), so the broker queues for us.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token); }
                catch (Exception e) when (e is MqttCommunicationException or OperationCanceledException or ObjectDisposedException) { }
            }
        }
        return subscribed && ended != PlatformUnavailable;
    }

    /// <summary>Acknowledges messages in arrival order as each outcome allows; returns why the connection ended.</summary>
    private async Task<string> AcknowledgeInOrderAsync(ChannelReader<Pending> inflight, Task<string> lost, CancellationToken stopping)
    {
        while (true)
        {
            var next = inflight.ReadAsync(stopping).AsTask();
            if (await Task.WhenAny(next, lost) == lost) return await lost;
            Pending pending;
            try { pending = await next; }
            catch (OperationCanceledException)
            {
                await DrainAsync(inflight, lost);
                return "the server is stopping";
            }
            if (await AcknowledgeAsync(pending, lost) is { } ended) return ended;
        }
    }

    /// <summary>Null when acknowledged (or rightly not); else why the connection must end.</summary>
    private async Task<string?> AcknowledgeAsync(Pending pending, Task<string> lost)
    {
        if (await Task.WhenAny(pending.Outcome, lost) == lost) return await lost;
        if (await pending.Outcome == ExternalMessageOutcome.Unavailable)
            // Unacknowledged messages come back only on a new connection (MQTT 5 §4.4).
            return PlatformUnavailable;
        try
        {
            await pending.Message.AcknowledgeAsync(CancellationToken.None);
            return null;
        }
        catch (Exception e) when (e is MqttCommunicationException or ObjectDisposedException or InvalidOperationException)
        {
            return "the connection ended while acknowledging: " + e.Message;
        }
    }

    /// <summary>On shutdown: acknowledges what becomes durable before the drain deadline ends the waiting.</summary>
    private async Task DrainAsync(ChannelReader<Pending> inflight, Task<string> lost)
    {
        while (inflight.TryRead(out var pending))
            if (await AcknowledgeAsync(pending, lost) is not null) return;
    }

    private async Task<ExternalMessageOutcome> IngestAsync(string topic, byte[] payload, CancellationToken ct)
    {
        var outcome = await OutcomeAsync(topic, payload, ct);
        metrics.Received(outcome);
        return outcome;
    }

    private async Task<ExternalMessageOutcome> OutcomeAsync(string topic, byte[] payload, CancellationToken ct)
    {
        if (MqttTopics.DeviceSerial(topic) is not { } serial)
        {
            if (ShouldLog("topic:" + topic)) ExternalBrokerLog.TopicMismatch(logger, topic);
            return ExternalMessageOutcome.TopicMismatch;
        }
        try
        {
            if (await gateway.FindDeviceAsync(serial, ct) is not { } device)
            {
                if (ShouldLog("serial:" + serial)) ExternalBrokerLog.UnknownSensor(logger, serial, topic);
                return ExternalMessageOutcome.UnknownSensor;
            }
            var result = await gateway.PublishAsync(device, topic, payload, ct);
            switch (result.Outcome)
            {
                case MqttPublishOutcome.Accepted:
                    return ExternalMessageOutcome.Accepted;
                case MqttPublishOutcome.Unavailable:
                    return ExternalMessageOutcome.Unavailable;
                case MqttPublishOutcome.TopicNotAllowed:
                    if (ShouldLog("topic:" + topic)) ExternalBrokerLog.TopicMismatch(logger, topic);
                    return ExternalMessageOutcome.TopicMismatch;
                default:
                    if (ShouldLog("invalid:" + serial)) ExternalBrokerLog.Invalid(logger, serial, topic, result.Reason ?? "unreadable");
                    return ExternalMessageOutcome.Invalid;
            }
        }
        // The database is away, or the connection ended while waiting: the broker sends it again.
        catch (Exception e) when (e is DbException or TimeoutException or OperationCanceledException)
        {
            return ExternalMessageOutcome.Unavailable;
        }
        catch (Exception e)
        {
            ExternalBrokerLog.MessageFailed(logger, e, serial, topic);
            return ExternalMessageOutcome.Failed;
        }
    }

    /// <summary>At most one line a minute per key, so a misconfigured device cannot flood the log.</summary>
    private bool ShouldLog(string key)
    {
        var now = time.GetUtcNow();
        if (_lastLogged.TryGetValue(key, out var last) && now - last < LogEvery) return false;
        if (_lastLogged.Count >= 10_000) _lastLogged.Clear();
        _lastLogged[key] = now;
        return true;
    }

    private void SetConnected(bool connected, string state)
    {
        _connected = connected;
        _state = state;
        metrics.Connected(connected);
    }

    private static MqttClientOptions ClientOptions(ExternalBrokerOptions settings)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host!.Trim(), settings.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(settings.EffectiveClientId)
            // A persistent session: subscriptions and unacknowledged or queued QoS 1 messages outlive our restarts.
            .WithCleanStart(false)
            .WithSessionExpiryInterval(settings.SessionExpirySeconds)
            .WithReceiveMaximum((ushort)settings.MaxInflight)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(settings.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (!string.IsNullOrEmpty(settings.Username)) builder.WithCredentials(settings.Username, settings.Password);
        if (settings.UseTls)
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                if (settings.AllowUntrustedCertificate) tls.WithCertificateValidationHandler(_ => true);
                else if (!string.IsNullOrWhiteSpace(settings.CaCertificatePath))
                {
                    var ca = settings.LoadCa();
                    tls.WithCertificateValidationHandler(e => SignedBy(ca, e));
                }
            });
        return builder.Build();
    }

    /// <summary>The broker's certificate is valid for its name and chains to the configured certificate authority.</summary>
    private static bool SignedBy(X509Certificate2 ca, MqttClientCertificateValidationEventArgs e)
    {
        if (e.SslPolicyErrors == SslPolicyErrors.None) return true;
        if ((e.SslPolicyErrors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = X509CertificateLoader.LoadCertificate(e.Certificate.GetRawCertData());
        return chain.Build(certificate);
    }
}

internal static partial class ExternalBrokerLog
{
    [LoggerMessage(EventId = 20, EventName = "ExternalBrokerConnected", Level = LogLevel.Information,
        Message = "Subscribed to the external MQTT broker {Broker} as {ClientId} ({Filters}); session present: {SessionPresent}")]
    public static partial void Connected(ILogger logger, string broker, string clientId, string filters, bool sessionPresent);

    [LoggerMessage(EventId = 21, EventName = "ExternalBrokerConnectFailed", Level = LogLevel.Warning,
        Message = "Could not subscribe to the external MQTT broker {Broker} (Mqtt:ExternalBroker): {Error}; retrying")]
    public static partial void ConnectFailed(ILogger logger, string broker, string error);

    [LoggerMessage(EventId = 22, EventName = "ExternalBrokerConnectionLost", Level = LogLevel.Warning,
        Message = "Connection to the external MQTT broker {Broker} ended: {Reason}; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string broker, string reason);

    [LoggerMessage(EventId = 23, EventName = "ExternalBrokerUnknownSensor", Level = LogLevel.Warning,
        Message = "External MQTT broker: no sensor has the serial '{Serial}' (topic {Topic}); its messages are acknowledged and dropped (logged once a minute)")]
    public static partial void UnknownSensor(ILogger logger, string serial, string topic);

    [LoggerMessage(EventId = 24, EventName = "ExternalBrokerTopicMismatch", Level = LogLevel.Warning,
        Message = "External MQTT broker: topic {Topic} is not parking/sensors/{{serial}}/status or …/heartbeat; its messages are acknowledged and dropped (logged once a minute)")]
    public static partial void TopicMismatch(ILogger logger, string topic);

    [LoggerMessage(EventId = 25, EventName = "ExternalBrokerInvalidMessage", Level = LogLevel.Warning,
        Message = "External MQTT broker: a message of sensor '{Serial}' on {Topic} cannot be taken ({Reason}); acknowledged and dropped (logged once a minute)")]
    public static partial void Invalid(ILogger logger, string serial, string topic, string reason);

    [LoggerMessage(EventId = 26, EventName = "ExternalBrokerMessageFailed", Level = LogLevel.Error,
        Message = "External MQTT broker: a message of sensor '{Serial}' on {Topic} failed; acknowledged so the subscription goes on")]
    public static partial void MessageFailed(ILogger logger, Exception exception, string serial, string topic);
}
