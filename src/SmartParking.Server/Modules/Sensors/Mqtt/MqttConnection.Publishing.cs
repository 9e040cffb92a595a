using System.Diagnostics;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>
/// Messages from the device: handed to the gateway one at a time, in the order they arrived, and acknowledged only
/// once the gateway accepted them, so acknowledgements leave in PUBLISH order too (MQTT-4.6.0-2).
/// </summary>
internal sealed partial class MqttConnection
{
    // QoS 2 identifiers whose message the gateway accepted and whose PUBREL has not come yet (§4.3.3). The processor
    // alone touches it; identifiers are 16-bit, so it cannot grow past 65,535 entries.
    private readonly HashSet<ushort> _awaitingRelease = [];

    private async Task ProcessInboundAsync()
    {
        try
        {
            while (await _inbound.Reader.WaitToReadAsync(_abort.Token))
            {
                while (_inbound.Reader.TryRead(out var item))
                {
                    if (await ProcessAsync(item)) continue;
                    // The reader may be waiting for queue space: it must stop too. A no-op when a reason is already set.
                    Abort(MqttCloseReason.ConnectionLost, "the client stopped taking data");
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Abort(MqttCloseReason.InternalError, e.Message, e);
        }
    }

    private async ValueTask<bool> ProcessAsync(Inbound item)
    {
        if (item.Packet is MqttPacketIdentifier release)
        {
            // PUBCOMP even for an identifier that is not (or no longer) known (MQTT-4.3.3-2 leaves nothing else to do).
            _awaitingRelease.Remove(release.PacketId);
            return await _output.PacketIdentifierAsync(MqttPacketType.PubComp, release.PacketId, _abort.Token);
        }

        var publish = (MqttPublish)item.Packet;
        if (publish.Qos == MqttQos.ExactlyOnce && _awaitingRelease.Contains(publish.PacketId))
        {
            // A resend of a message already accepted: acknowledge it again, deliver it once.
            return await _output.PacketIdentifierAsync(MqttPacketType.PubRec, publish.PacketId, _abort.Token);
        }

        MqttPublishResult result;
        try
        {
            result = await _gateway.PublishAsync(Device!, publish.Topic, publish.Payload, _abort.Token);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e)
        {
            _metrics.PublishReceived(publish.Qos, "error");
            Abort(MqttCloseReason.GatewayError, $"the gateway failed on a PUBLISH to '{Printable(publish.Topic)}'", e);
            return false;
        }

        _metrics.PublishReceived(publish.Qos, Outcome(result.Outcome));
        switch (result.Outcome)
        {
            case MqttPublishOutcome.Accepted when publish.Qos == MqttQos.AtMostOnce:
                return true;
            case MqttPublishOutcome.Accepted:
                var exactlyOnce = publish.Qos == MqttQos.ExactlyOnce;
                if (exactlyOnce) _awaitingRelease.Add(publish.PacketId);
                if (!await _output.PacketIdentifierAsync(exactlyOnce ? MqttPacketType.PubRec : MqttPacketType.PubAck, publish.PacketId, _abort.Token))
                    return false;
                _metrics.Acknowledged(publish.Qos, Stopwatch.GetElapsedTime(item.ReceivedAt));
                return true;
            case MqttPublishOutcome.TopicNotAllowed or MqttPublishOutcome.PayloadInvalid:
                // 3.1.1 has no negative acknowledgement. Closing is the only answer that neither acknowledges the
                // message nor leaves the device waiting for an acknowledgement that will never come.
                Abort(MqttCloseReason.PublishRejected,
                    $"{result.Outcome} for a PUBLISH to '{Printable(publish.Topic)}'{(result.Reason is null ? "" : ": " + Printable(result.Reason))}");
                return false;
            default:
                // Unacknowledged, so the device sends it again after reconnecting.
                Abort(MqttCloseReason.PlatformUnavailable, result.Reason is null ? "the platform cannot take messages now" : Printable(result.Reason));
                return false;
        }
    }

    private static string Outcome(MqttPublishOutcome outcome) => outcome switch
    {
        MqttPublishOutcome.Accepted => "accepted",
        MqttPublishOutcome.TopicNotAllowed => "topic_not_allowed",
        MqttPublishOutcome.PayloadInvalid => "payload_invalid",
        _ => "unavailable",
    };
}
