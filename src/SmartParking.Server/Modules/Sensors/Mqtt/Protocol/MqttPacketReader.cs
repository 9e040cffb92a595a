using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

internal enum MqttReadStatus
{
    /// <summary>A whole packet was decoded; <see cref="MqttReadResult.Consumed"/> is just past it.</summary>
    Packet,
    /// <summary>The buffer holds only the start of a packet; read more and try again from the same position.</summary>
    Incomplete,
    /// <summary>The bytes are not a valid packet; the connection must be closed.</summary>
    Invalid,
}

/// <summary>Type, flags, remaining length, and how many bytes the header took (2 to 5).</summary>
internal readonly record struct MqttFixedHeader(MqttPacketType Type, int Flags, int RemainingLength, int HeaderLength);

internal readonly record struct MqttReadResult(MqttReadStatus Status, MqttPacket? Packet, SequencePosition Consumed, MqttDecodeError? Error);

/// <summary>
/// Decodes one MQTT 3.1.1 control packet (OASIS standard, 29 October 2014) from the front of a buffer.
/// It has no state and does no I/O, so the connection's read loop and the unit tests drive it the same way.
/// Both directions are decoded (the tests use it to read the server's answers); which packets a server may
/// receive is the connection's business.
/// </summary>
internal static class MqttPacketReader
{
    /// <summary>The largest value a four-byte remaining length can carry (§2.2.3).</summary>
    public const int MaxRemainingLength = 268_435_455;

    public static MqttReadResult TryRead(in ReadOnlySequence<byte> buffer, int maxPacketBytes)
    {
        var status = TryReadFixedHeader(buffer, out var header, out var error);
        if (status == MqttReadStatus.Incomplete) return Incomplete(buffer);
        if (status == MqttReadStatus.Invalid) return new MqttReadResult(MqttReadStatus.Invalid, null, buffer.Start, error);

        // Decided from the header alone, so an oversize body is never buffered.
        var total = (long)header.HeaderLength + header.RemainingLength;
        if (total > maxPacketBytes)
            return Invalid(MqttErrorCode.PacketTooLarge, $"a {total}-byte {header.Type} exceeds the limit of {maxPacketBytes} bytes");
        if (buffer.Length < total) return Incomplete(buffer);

        var body = buffer.Slice(header.HeaderLength, header.RemainingLength);
        try
        {
            return new MqttReadResult(MqttReadStatus.Packet, Decode(header.Type, header.Flags, body), body.End, null);
        }
        catch (DecodeException e)
        {
            return new MqttReadResult(MqttReadStatus.Invalid, null, buffer.Start, e.Error);
        }
    }

    /// <summary>The fixed header (§2.2): type, flags and remaining length, checked as far as they go.</summary>
    public static MqttReadStatus TryReadFixedHeader(in ReadOnlySequence<byte> buffer, out MqttFixedHeader header, out MqttDecodeError? error)
    {
        header = default;
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out var first)) return MqttReadStatus.Incomplete;

        // Type and flags are checked before the length so that garbage is refused on its first byte.
        var type = (MqttPacketType)(first >> 4);
        var flags = first & 0x0F;
        if ((int)type is 0 or 15)
        {
            error = new MqttDecodeError(MqttErrorCode.ReservedPacketType, $"packet type {(int)type} is reserved");
            return MqttReadStatus.Invalid;
        }
        if (!FlagsAreValid(type, flags))
        {
            error = new MqttDecodeError(MqttErrorCode.InvalidFlags, $"fixed-header flags 0x{flags:X} are not valid for {type}");
            return MqttReadStatus.Invalid;
        }

        var remaining = 0;
        for (var i = 0; ; i++)
        {
            if (!reader.TryRead(out var digit)) return MqttReadStatus.Incomplete;
            remaining |= (digit & 0x7F) << (7 * i);
            if ((digit & 0x80) == 0) break;
            if (i == 3)
            {
                error = new MqttDecodeError(MqttErrorCode.MalformedRemainingLength, "the remaining length continues past four bytes");
                return MqttReadStatus.Invalid;
            }
        }
        header = new MqttFixedHeader(type, flags, remaining, (int)reader.Consumed);
        return MqttReadStatus.Packet;
    }

    /// <summary>§2.2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0010, PUBLISH its own flags, every other type 0000.</summary>
    private static bool FlagsAreValid(MqttPacketType type, int flags) => type switch
    {
        MqttPacketType.Publish => ((flags >> 1) & 0x03) != 3,
        MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe => flags == 0x02,
        _ => flags == 0,
    };

    private static MqttPacket Decode(MqttPacketType type, int flags, ReadOnlySequence<byte> body)
    {
        var reader = new SequenceReader<byte>(body);
        MqttPacket packet = type switch
        {
            MqttPacketType.Connect => ReadConnect(ref reader),
            MqttPacketType.ConnAck => ReadConnAck(ref reader),
            MqttPacketType.Publish => ReadPublish(ref reader, flags),
            MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp or MqttPacketType.UnsubAck
                => new MqttPacketIdentifier(type, ReadPacketId(ref reader)),
            MqttPacketType.Subscribe => ReadSubscribe(ref reader),
            MqttPacketType.SubAck => ReadSubAck(ref reader),
            MqttPacketType.Unsubscribe => ReadUnsubscribe(ref reader),
            MqttPacketType.PingReq => MqttEmptyPacket.PingReq,
            MqttPacketType.PingResp => MqttEmptyPacket.PingResp,
            MqttPacketType.Disconnect => MqttEmptyPacket.Disconnect,
            _ => throw new DecodeException(MqttErrorCode.ReservedPacketType, $"packet type {(int)type} is reserved"),
        };
        if (!reader.End) throw Malformed($"{reader.Remaining} unexpected bytes at the end of the {type}");
        return packet;
    }

    private static MqttPacket ReadConnect(ref SequenceReader<byte> reader)
    {
        var protocolName = ReadString(ref reader, "protocol name");
        var level = ReadByte(ref reader, "protocol level");
        if (protocolName != "MQTT" || level != 4)
        {
            reader.AdvanceToEnd();
            return new MqttUnsupportedConnect(protocolName, level);
        }

        var connectFlags = ReadByte(ref reader, "connect flags");
        var cleanSession = (connectFlags & 0x02) != 0;
        var willFlag = (connectFlags & 0x04) != 0;
        var willQos = (connectFlags >> 3) & 0x03;
        var willRetain = (connectFlags & 0x20) != 0;
        var passwordFlag = (connectFlags & 0x40) != 0;
        var userNameFlag = (connectFlags & 0x80) != 0;
        if ((connectFlags & 0x01) != 0) throw Malformed("the reserved CONNECT flag is set");                   // MQTT-3.1.2-3
        if (willQos == 3) throw Malformed("the will QoS is 3");                                                 // MQTT-3.1.2-14
        if (!willFlag && (willQos != 0 || willRetain)) throw Malformed("will QoS or retain is set without a will"); // MQTT-3.1.2-13, -15
        if (passwordFlag && !userNameFlag) throw Malformed("a password is flagged without a user name");         // MQTT-3.1.2-22

        var keepAlive = ReadUInt16(ref reader, "keep alive");
        var clientId = ReadString(ref reader, "client identifier");
        MqttWill? will = null;
        if (willFlag)
        {
            var topic = ReadString(ref reader, "will topic");
            CheckTopicName(topic, "will topic");
            will = new MqttWill(topic, ReadBinary(ref reader, "will message"), (MqttQos)willQos, willRetain);
        }
        var userName = userNameFlag ? ReadString(ref reader, "user name") : null;
        var password = passwordFlag ? ReadBinary(ref reader, "password") : null;
        return new MqttConnect(cleanSession, keepAlive, clientId, will, userName, password);
    }

    private static MqttConnAck ReadConnAck(ref SequenceReader<byte> reader)
    {
        var ackFlags = ReadByte(ref reader, "acknowledge flags");
        if ((ackFlags & 0xFE) != 0) throw Malformed("reserved CONNACK flags are set");
        var code = ReadByte(ref reader, "return code");
        if (code > (byte)MqttConnectReturnCode.NotAuthorized) throw Malformed($"CONNACK return code {code} is reserved");
        return new MqttConnAck((ackFlags & 0x01) != 0, (MqttConnectReturnCode)code);
    }

    private static MqttPublish ReadPublish(ref SequenceReader<byte> reader, int flags)
    {
        var qos = (MqttQos)((flags >> 1) & 0x03);
        var topic = ReadString(ref reader, "topic name");
        CheckTopicName(topic, "topic name");
        var packetId = qos == MqttQos.AtMostOnce ? (ushort)0 : ReadPacketId(ref reader);
        // Copied: the payload outlives the pipe buffer (it is queued, and the gateway may keep it).
        var payload = reader.UnreadSequence.ToArray();
        reader.AdvanceToEnd();
        return new MqttPublish(topic, payload, qos, Retain: (flags & 0x01) != 0, Duplicate: (flags & 0x08) != 0, packetId);
    }

    private static MqttSubscribe ReadSubscribe(ref SequenceReader<byte> reader)
    {
        var packetId = ReadPacketId(ref reader);
        var subscriptions = new List<MqttSubscription>();
        while (!reader.End)
        {
            var filter = ReadString(ref reader, "topic filter");
            if (filter.Length == 0) throw new DecodeException(MqttErrorCode.InvalidTopic, "a topic filter is empty"); // MQTT-4.7.3-1
            var qos = ReadByte(ref reader, "requested QoS");
            if (qos > 2) throw Malformed($"requested QoS byte 0x{qos:X2} is not 0, 1 or 2");                           // MQTT-3.8.3-4
            subscriptions.Add(new MqttSubscription(filter, (MqttQos)qos));
        }
        if (subscriptions.Count == 0) throw Malformed("SUBSCRIBE carries no topic filter");                               // MQTT-3.8.3-3
        return new MqttSubscribe(packetId, subscriptions);
    }

    private static MqttSubAck ReadSubAck(ref SequenceReader<byte> reader)
    {
        var packetId = ReadPacketId(ref reader);
        var codes = new List<byte>();
        while (reader.TryRead(out var code))
        {
            if (code is not (0 or 1 or 2 or MqttSubAck.Failure)) throw Malformed($"SUBACK return code 0x{code:X2} is reserved");
            codes.Add(code);
        }
        if (codes.Count == 0) throw Malformed("SUBACK carries no return code");
        return new MqttSubAck(packetId, codes);
    }

    private static MqttUnsubscribe ReadUnsubscribe(ref SequenceReader<byte> reader)
    {
        var packetId = ReadPacketId(ref reader);
        var filters = new List<string>();
        while (!reader.End)
        {
            var filter = ReadString(ref reader, "topic filter");
            if (filter.Length == 0) throw new DecodeException(MqttErrorCode.InvalidTopic, "a topic filter is empty");
            filters.Add(filter);
        }
        if (filters.Count == 0) throw Malformed("UNSUBSCRIBE carries no topic filter");                                   // MQTT-3.10.3-2
        return new MqttUnsubscribe(packetId, filters);
    }

    /// <summary>§4.7: a topic name has at least one character and no wildcard.</summary>
    private static void CheckTopicName(string topic, string field)
    {
        if (topic.Length == 0) throw new DecodeException(MqttErrorCode.InvalidTopic, $"the {field} is empty");
        if (topic.AsSpan().IndexOfAny('+', '#') >= 0) throw new DecodeException(MqttErrorCode.InvalidTopic, $"the {field} contains a wildcard");
    }

    private static ushort ReadPacketId(ref SequenceReader<byte> reader)
    {
        var id = ReadUInt16(ref reader, "packet identifier");
        return id != 0 ? id : throw Malformed("the packet identifier is 0"); // MQTT-2.3.1-1
    }

    private static byte ReadByte(ref SequenceReader<byte> reader, string field) =>
        reader.TryRead(out var value) ? value : throw Malformed($"the {field} is missing");

    private static ushort ReadUInt16(ref SequenceReader<byte> reader, string field) =>
        reader.TryReadBigEndian(out short value) ? (ushort)value : throw Malformed($"the {field} is cut off");

    private static byte[] ReadBinary(ref SequenceReader<byte> reader, string field)
    {
        var length = ReadUInt16(ref reader, field + " length");
        if (reader.Remaining < length) throw Malformed($"the {field} runs past the end of the packet");
        var value = reader.UnreadSequence.Slice(0, length).ToArray();
        reader.Advance(length);
        return value;
    }

    /// <summary>§1.5.3: well-formed UTF-8 without U+0000; anything else is a reason to close (MQTT-1.5.3-1, -2).</summary>
    private static string ReadString(ref SequenceReader<byte> reader, string field)
    {
        var length = ReadUInt16(ref reader, field + " length");
        if (reader.Remaining < length) throw Malformed($"the {field} runs past the end of the packet");
        var slice = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        ReadOnlySpan<byte> bytes = slice.IsSingleSegment ? slice.FirstSpan : slice.ToArray();
        // In UTF-8 the byte 0x00 only ever encodes U+0000; surrogates and overlong forms fail validation.
        if (bytes.Contains((byte)0)) throw new DecodeException(MqttErrorCode.InvalidString, $"the {field} contains U+0000");
        if (!Utf8.IsValid(bytes)) throw new DecodeException(MqttErrorCode.InvalidString, $"the {field} is not well-formed UTF-8");
        return Encoding.UTF8.GetString(bytes);
    }

    private static DecodeException Malformed(string detail) => new(MqttErrorCode.MalformedPacket, detail);

    private static MqttReadResult Incomplete(in ReadOnlySequence<byte> buffer) => new(MqttReadStatus.Incomplete, null, buffer.Start, null);

    private static MqttReadResult Invalid(MqttErrorCode code, string detail) => new(MqttReadStatus.Invalid, null, default, new MqttDecodeError(code, detail));

    // Only thrown and caught inside this class: it keeps the field readers linear instead of threading error results through each.
    private sealed class DecodeException(MqttErrorCode code, string detail) : Exception(detail)
    {
        public MqttDecodeError Error { get; } = new(code, detail);
    }
}
