namespace SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

/// <summary>MQTT 3.1.1 control packet types (§2.2.1). 0 and 15 are reserved and never valid on the wire.</summary>
internal enum MqttPacketType : byte
{
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
}

/// <summary>CONNACK return codes (§3.2.2.3).</summary>
internal enum MqttConnectReturnCode : byte
{
    Accepted = 0,
    UnacceptableProtocolVersion = 1,
    IdentifierRejected = 2,
    ServerUnavailable = 3,
    BadUserNameOrPassword = 4,
    NotAuthorized = 5,
}

internal enum MqttQos : byte
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

/// <summary>
/// A decoded control packet. Decoded packets own their data (strings and copied byte arrays), so they stay valid
/// after the pipe buffer they came from has been released.
/// </summary>
internal abstract record MqttPacket(MqttPacketType Type);

/// <summary>A CONNECT for MQTT 3.1.1 (protocol name "MQTT", level 4).</summary>
internal sealed record MqttConnect(
    bool CleanSession,
    ushort KeepAliveSeconds,
    string ClientId,
    MqttWill? Will,
    string? UserName,
    byte[]? Password) : MqttPacket(MqttPacketType.Connect);

internal sealed record MqttWill(string Topic, byte[] Payload, MqttQos Qos, bool Retain);

/// <summary>
/// A CONNECT for a protocol name or level this server does not speak. Nothing after the level is decoded:
/// other versions lay the rest out differently (5.0 adds properties).
/// </summary>
internal sealed record MqttUnsupportedConnect(string ProtocolName, byte ProtocolLevel) : MqttPacket(MqttPacketType.Connect);

internal sealed record MqttConnAck(bool SessionPresent, MqttConnectReturnCode ReturnCode) : MqttPacket(MqttPacketType.ConnAck);

/// <summary>A PUBLISH. <see cref="PacketId"/> is 0 for QoS 0, which carries none.</summary>
internal sealed record MqttPublish(string Topic, ReadOnlyMemory<byte> Payload, MqttQos Qos, bool Retain, bool Duplicate, ushort PacketId)
    : MqttPacket(MqttPacketType.Publish);

/// <summary>PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet identifier and nothing else.</summary>
internal sealed record MqttPacketIdentifier(MqttPacketType PacketType, ushort PacketId) : MqttPacket(PacketType);

internal sealed record MqttSubscription(string Filter, MqttQos RequestedQos);

internal sealed record MqttSubscribe(ushort PacketId, IReadOnlyList<MqttSubscription> Subscriptions) : MqttPacket(MqttPacketType.Subscribe);

/// <summary>SUBACK; each return code is a granted QoS (0–2) or <see cref="Failure"/>.</summary>
internal sealed record MqttSubAck(ushort PacketId, IReadOnlyList<byte> ReturnCodes) : MqttPacket(MqttPacketType.SubAck)
{
    public const byte Failure = 0x80;
}

internal sealed record MqttUnsubscribe(ushort PacketId, IReadOnlyList<string> Filters) : MqttPacket(MqttPacketType.Unsubscribe);

/// <summary>PINGREQ, PINGRESP and DISCONNECT, which have no variable header or payload.</summary>
internal sealed record MqttEmptyPacket : MqttPacket
{
    public static readonly MqttEmptyPacket PingReq = new(MqttPacketType.PingReq);
    public static readonly MqttEmptyPacket PingResp = new(MqttPacketType.PingResp);
    public static readonly MqttEmptyPacket Disconnect = new(MqttPacketType.Disconnect);

    private MqttEmptyPacket(MqttPacketType type) : base(type) { }
}

/// <summary>Why bytes could not be decoded. Every one of them ends the connection (§4.8: no partial recovery in 3.1.1).</summary>
internal enum MqttErrorCode
{
    /// <summary>Packet type 0 or 15.</summary>
    ReservedPacketType,
    /// <summary>Fixed-header flags other than the ones the packet type requires.</summary>
    InvalidFlags,
    /// <summary>The remaining length continues into a fifth byte.</summary>
    MalformedRemainingLength,
    /// <summary>The packet would exceed the configured maximum; decided from the header alone.</summary>
    PacketTooLarge,
    /// <summary>A string is not well-formed UTF-8 or contains U+0000 (§1.5.3).</summary>
    InvalidString,
    /// <summary>A topic name or filter breaks the topic rules (§4.7).</summary>
    InvalidTopic,
    /// <summary>Any other structural error: fields past the remaining length, leftover bytes, bad values.</summary>
    MalformedPacket,
}

internal sealed record MqttDecodeError(MqttErrorCode Code, string Detail)
{
    public override string ToString() => $"{Code}: {Detail}";
}
