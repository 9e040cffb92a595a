using System.Buffers;

namespace SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

/// <summary>The device command topics: the only topics the server publishes to, and the only filters a device may subscribe to.</summary>
internal static class MqttTopics
{
    private static readonly SearchValues<char> NotInSerial = SearchValues.Create("/+#\0");

    private const string DevicePrefix = "parking/sensors/";

    public static string CommandTopic(string serial) => $"{DevicePrefix}{serial}/commands";

    /// <summary>The serial of a device topic <c>parking/sensors/{serial}/…</c>; null for any other topic.</summary>
    public static string? DeviceSerial(string topic)
    {
        if (!topic.StartsWith(DevicePrefix, StringComparison.Ordinal)) return null;
        var end = topic.IndexOf('/', DevicePrefix.Length);
        return end <= DevicePrefix.Length ? null : topic[DevicePrefix.Length..end];
    }

    /// <summary>
    /// A device may subscribe to its own command topic, exactly or with everything below it; nothing else
    /// (other devices' topics, wider wildcards, '+') is granted.
    /// </summary>
    public static bool IsOwnCommandFilter(string filter, string serial)
    {
        var topic = CommandTopic(serial);
        return filter.Length == topic.Length ? filter == topic
            : filter.Length == topic.Length + 2 && filter.StartsWith(topic, StringComparison.Ordinal) && filter.EndsWith("/#", StringComparison.Ordinal);
    }

    /// <summary>Matches a topic against one of the granted filters (§4.7.1.2: "a/#" also matches "a").</summary>
    public static bool Matches(string filter, string topic) =>
        filter.EndsWith("/#", StringComparison.Ordinal)
            ? topic.Length == filter.Length - 2 ? filter.StartsWith(topic, StringComparison.Ordinal)
                : topic.StartsWith(filter.AsSpan(0, filter.Length - 1), StringComparison.Ordinal)
            : topic == filter;

    /// <summary>A subtopic below the command topic: any levels, but no wildcard and no U+0000 (§4.7.3).</summary>
    public static bool IsValidSubtopic(string subtopic) => subtopic.AsSpan().IndexOfAny('+', '#', '\0') < 0;

    /// <summary>Serials are validated on registration; this guards the topic shape against anything else.</summary>
    public static bool IsValidSerial(string serial) => serial.Length > 0 && serial.AsSpan().IndexOfAny(NotInSerial) < 0;
}
