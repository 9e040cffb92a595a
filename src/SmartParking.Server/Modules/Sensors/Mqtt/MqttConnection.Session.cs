using System.Diagnostics;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;
using SmartParking.Server.Modules.Sensors.Registry;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>CONNECT, the packets the read loop answers itself, and command subscriptions.</summary>
internal sealed partial class MqttConnection
{
    /// <summary>3.1.1 obliges servers to take 23 characters (MQTT-3.1.3-5); more are allowed, up to this.</summary>
    private const int MaxClientIdLength = 128;

    private static readonly TimeSpan TakeOverWait = TimeSpan.FromSeconds(5);

    private readonly Lock _subscriptionsGate = new();
    private readonly HashSet<string> _subscriptions = new(StringComparer.Ordinal);

    /// <summary>Handles one decoded packet; false means stop reading (the reason is already recorded).</summary>
    private async ValueTask<bool> HandleAsync(MqttPacket packet)
    {
        if (Device is null)
        {
            return packet switch
            {
                MqttConnect connect => await ConnectAsync(connect),
                MqttUnsupportedConnect other => await RefuseAsync(MqttConnectReturnCode.UnacceptableProtocolVersion,
                    $"protocol '{Printable(other.ProtocolName)}' level {other.ProtocolLevel}; only MQTT 3.1.1 is spoken"),
                _ => Violation($"the first packet was {packet.Type}, not CONNECT", beforeConnect: true), // MQTT-3.1.0-1
            };
        }

        switch (packet)
        {
            case MqttPublish:
                return await EnqueueAsync(new Inbound(packet, Stopwatch.GetTimestamp()));
            case MqttPacketIdentifier { PacketType: MqttPacketType.PubRel }:
                return await EnqueueAsync(new Inbound(packet, 0));
            case MqttPacketIdentifier { PacketType: MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubComp }:
                // This server only ever sends QoS 0, so nothing waits for these; a confused client is not worth closing.
                return true;
            case MqttSubscribe subscribe:
                return await SubscribeAsync(subscribe);
            case MqttUnsubscribe unsubscribe:
                return await UnsubscribeAsync(unsubscribe);
            case { Type: MqttPacketType.PingReq }:
                return await WrittenAsync(_output.PingRespAsync(_abort.Token));
            case { Type: MqttPacketType.Disconnect }:
                // The will is discarded (MQTT-3.14.4-3); none is kept anyway.
                End(MqttCloseReason.ClientDisconnected, "DISCONNECT");
                return false;
            case { Type: MqttPacketType.Connect }:
                return Violation("a second CONNECT", beforeConnect: false); // MQTT-3.1.0-2
            default:
                return Violation($"{packet.Type} is sent only by servers", beforeConnect: false);
        }
    }

    private async ValueTask<bool> ConnectAsync(MqttConnect connect)
    {
        // The CONNECT came in time; authentication has its own bound below.
        _readDeadline.CancelAfter(Timeout.InfiniteTimeSpan);

        // No session outlives its connection (see MqttTransport), so an empty identifier is fine with a clean
        // session and gets a generated one; without clean session it is refused (MQTT-3.1.3-6, -8).
        var clientId = connect.ClientId;
        if (clientId.Length == 0)
        {
            if (!connect.CleanSession) return await RefuseAsync(MqttConnectReturnCode.IdentifierRejected, "an empty client identifier needs clean session");
            clientId = "auto-" + Guid.NewGuid().ToString("N");
        }
        else if (clientId.Length > MaxClientIdLength || clientId.Any(char.IsControl))
        {
            return await RefuseAsync(MqttConnectReturnCode.IdentifierRejected,
                $"client identifier '{Printable(clientId)}' is over {MaxClientIdLength} characters or holds control characters");
        }
        ClientId = clientId;

        if (connect.UserName is null || connect.Password is null)
            return await RefuseAsync(MqttConnectReturnCode.NotAuthorized, "no user name and password (a device signs in with its serial and secret)");

        DeviceIdentity? device;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
            try
            {
                device = await _gateway.AuthenticateAsync(clientId, connect.UserName, connect.Password, timeout.Token);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                return false;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return await RefuseAsync(MqttConnectReturnCode.ServerUnavailable, $"authentication took over {_options.ConnectTimeoutSeconds} s");
            }
            catch (Exception e)
            {
                return await RefuseAsync(MqttConnectReturnCode.ServerUnavailable, "authentication failed", e);
            }
        }
        if (device is null)
            return await RefuseAsync(MqttConnectReturnCode.BadUserNameOrPassword, $"wrong secret or unknown serial '{Printable(connect.UserName)}'");

        Device = device;
        if (_registry.Register(this) is { } previous)
        {
            previous.Abort(MqttCloseReason.TakenOver, $"by connection {ConnectionId} with the same client identifier"); // MQTT-3.1.4-2
            // Wait until the old connection is gone, so two connections of one client never hand messages over at once.
            try
            {
                await previous.Completion.WaitAsync(TakeOverWait, _abort.Token);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        var keepAlive = connect.KeepAliveSeconds == 0 || connect.KeepAliveSeconds > _options.MaxKeepAliveSeconds
            ? _options.MaxKeepAliveSeconds
            : connect.KeepAliveSeconds;
        _keepAliveTimeout = TimeSpan.FromSeconds(keepAlive * 1.5); // MQTT-3.1.2-24
        _processor = ProcessInboundAsync();

        // Session present is always 0: no session state is ever kept, which is the right answer for clean session
        // and tells a client that asked for a persistent one that it has none (MQTT-3.2.2-1, -2).
        if (!await WrittenAsync(_output.ConnAckAsync(MqttConnectReturnCode.Accepted, _abort.Token))) return false;
        _readDeadline.CancelAfter(_keepAliveTimeout);
        MqttLog.Connected(_logger, Printable(clientId), device.Serial, _context.RemoteEndPoint?.ToString() ?? "unknown", ConnectionId, keepAlive);
        return true;
    }

    private async ValueTask<bool> RefuseAsync(MqttConnectReturnCode code, string detail, Exception? exception = null)
    {
        _metrics.Refused(code);
        // A refusing CONNACK, then close (MQTT-3.2.2-5).
        await _output.ConnAckAsync(code, _abort.Token);
        End(MqttCloseReason.Refused, $"CONNACK {(int)code} ({code}): {detail}", exception);
        return false;
    }

    private bool Violation(string detail, bool beforeConnect)
    {
        if (beforeConnect) _metrics.Refused("protocol_error");
        Abort(MqttCloseReason.ProtocolError, detail);
        return false;
    }

    private async ValueTask<bool> WrittenAsync(ValueTask<bool> write)
    {
        if (await write) return true;
        End(MqttCloseReason.ConnectionLost, "the client stopped taking data");
        return false;
    }

    private async ValueTask<bool> EnqueueAsync(Inbound item)
    {
        if (_inbound.Writer.TryWrite(item)) return true;
        // The queue is full: stop reading, which pushes back on the device through TCP. Its silence meanwhile is
        // this server's doing, so the keep-alive clock stops until the queue has room again.
        _readDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
        try
        {
            await _inbound.Writer.WriteAsync(item, _abort.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        _readDeadline.CancelAfter(_keepAliveTimeout);
        return true;
    }

    private async ValueTask<bool> SubscribeAsync(MqttSubscribe subscribe)
    {
        var serial = Device!.Serial;
        var returnCodes = new byte[subscribe.Subscriptions.Count];
        List<string>? refused = null;
        lock (_subscriptionsGate)
        {
            for (var i = 0; i < returnCodes.Length; i++)
            {
                var filter = subscribe.Subscriptions[i].Filter;
                if (MqttTopics.IsOwnCommandFilter(filter, serial))
                {
                    // Granted at QoS 0 whatever was asked: commands are sent at most once, and a server may grant less (MQTT-3.9.3).
                    _subscriptions.Add(filter);
                    returnCodes[i] = (byte)MqttQos.AtMostOnce;
                }
                else
                {
                    returnCodes[i] = MqttSubAck.Failure;
                    (refused ??= []).Add(Printable(filter));
                }
            }
        }
        // Registered before the SUBACK goes out, so a command sent once the device has seen it is delivered.
        if (refused is null || refused.Count < returnCodes.Length) _registry.SetSubscribed(this, true);
        if (refused is not null) MqttLog.SubscriptionRefused(_logger, Printable(ClientId!), serial, string.Join(", ", refused));
        return await WrittenAsync(_output.SubAckAsync(subscribe.PacketId, returnCodes, _abort.Token));
    }

    private async ValueTask<bool> UnsubscribeAsync(MqttUnsubscribe unsubscribe)
    {
        bool none;
        lock (_subscriptionsGate)
        {
            foreach (var filter in unsubscribe.Filters) _subscriptions.Remove(filter);
            none = _subscriptions.Count == 0;
        }
        if (none) _registry.SetSubscribed(this, false);
        // Acknowledged even for filters that were never subscribed (MQTT-3.10.4-4, -5).
        return await WrittenAsync(_output.PacketIdentifierAsync(MqttPacketType.UnsubAck, unsubscribe.PacketId, _abort.Token));
    }

    public bool IsSubscribedTo(string topic)
    {
        lock (_subscriptionsGate)
        {
            foreach (var filter in _subscriptions)
                if (MqttTopics.Matches(filter, topic)) return true;
            return false;
        }
    }

    /// <summary>Writes an encoded command PUBLISH; false when the connection is closing or could not take it.</summary>
    public ValueTask<bool> SendCommandAsync(byte[] packet, CancellationToken ct) =>
        _abort.IsCancellationRequested ? ValueTask.FromResult(false) : _output.PacketAsync(packet, ct);
}
