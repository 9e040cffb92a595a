using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>
/// Sends messages to devices connected to this node, on their command topics
/// (<c>parking/sensors/{serial}/commands[/{subtopic}]</c>). Delivery is QoS 0: written once to each connection
/// subscribed to a matching filter, with no acknowledgement, retry or storage. A device connected to another node,
/// or not connected, gets nothing; the count returned says how many connections got the message.
/// </summary>
public sealed class MqttDeviceCommands
{
    private readonly MqttSessionRegistry _registry;
    private readonly MqttMetrics _metrics;
    private readonly IOptions<MqttOptions> _options;

    internal MqttDeviceCommands(MqttSessionRegistry registry, MqttMetrics metrics, IOptions<MqttOptions> options)
    {
        _registry = registry;
        _metrics = metrics;
        _options = options;
    }

    /// <summary>Publishes to every connection of <paramref name="serial"/> subscribed to the topic.</summary>
    /// <param name="serial">The device's serial (its MQTT user name).</param>
    /// <param name="subtopic">Levels below the command topic, e.g. "reboot" or "config/led"; empty for the command topic itself.</param>
    /// <param name="payload">The message; together with the topic it must fit in Mqtt:MaxPacketBytes.</param>
    /// <param name="ct">
    /// Stops waiting for connections that are busy writing; those count as not reached. A write that has begun is
    /// finished, bounded by the transport's write timeout.
    /// </param>
    /// <returns>How many connections the message was written to.</returns>
    /// <exception cref="ArgumentException">A serial or subtopic that cannot form a topic name, or a message that is too large.</exception>
    public async ValueTask<int> PublishToDeviceAsync(string serial, string subtopic, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(serial);
        ArgumentNullException.ThrowIfNull(subtopic);
        if (!MqttTopics.IsValidSerial(serial)) throw new ArgumentException("A serial is non-empty and has no '/', '+', '#' or U+0000.", nameof(serial));
        if (!MqttTopics.IsValidSubtopic(subtopic)) throw new ArgumentException("A subtopic has no '+', '#' or U+0000.", nameof(subtopic));
        ct.ThrowIfCancellationRequested();

        var topic = subtopic.Length == 0 ? MqttTopics.CommandTopic(serial) : MqttTopics.CommandTopic(serial) + "/" + subtopic;
        // Encoded before looking for subscribers, so an oversize message fails whether or not the device is online.
        var packet = MqttPacketWriter.EncodePublish(topic, payload.Span);
        if (packet.Length > _options.Value.MaxPacketBytes)
            throw new ArgumentException($"The message takes {packet.Length} bytes; devices accept at most Mqtt:MaxPacketBytes ({_options.Value.MaxPacketBytes}).", nameof(payload));

        var subscribers = _registry.SubscribersOf(serial).Where(c => c.IsSubscribedTo(topic)).ToArray();
        var delivered = subscribers.Length switch
        {
            0 => 0,
            1 => await subscribers[0].SendCommandAsync(packet, ct) ? 1 : 0,
            // In parallel: one slow connection must not hold up the others.
            _ => (await Task.WhenAll(subscribers.Select(c => c.SendCommandAsync(packet, ct).AsTask()))).Count(sent => sent),
        };
        _metrics.CommandsDelivered(delivered);
        return delivered;
    }
}
