using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

/// <summary>Encodes the packets a server sends (MQTT 3.1.1). Fixed-size answers are written straight into the pipe.</summary>
internal static class MqttPacketWriter
{
    // Throws on lone surrogates instead of silently sending U+FFFD: a topic must arrive exactly as it was given.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static int SizeOfRemainingLength(int value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };

    /// <summary>§2.2.3: seven bits per byte, least significant first, high bit set while more bytes follow.</summary>
    public static int WriteRemainingLength(Span<byte> destination, int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MqttPacketReader.MaxRemainingLength);
        var written = 0;
        do
        {
            var digit = (byte)(value & 0x7F);
            value >>= 7;
            destination[written++] = value > 0 ? (byte)(digit | 0x80) : digit;
        }
        while (value > 0);
        return written;
    }

    public static void WriteConnAck(IBufferWriter<byte> output, bool sessionPresent, MqttConnectReturnCode code)
    {
        var span = output.GetSpan(4);
        span[0] = (byte)MqttPacketType.ConnAck << 4;
        span[1] = 2;
        span[2] = sessionPresent ? (byte)1 : (byte)0;
        span[3] = (byte)code;
        output.Advance(4);
    }

    /// <summary>PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK.</summary>
    public static void WritePacketIdentifier(IBufferWriter<byte> output, MqttPacketType type, ushort packetId)
    {
        if (type is not (MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp or MqttPacketType.UnsubAck))
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a packet made of only a packet identifier.");
        var span = output.GetSpan(4);
        span[0] = (byte)((byte)type << 4 | (type == MqttPacketType.PubRel ? 0x02 : 0));
        span[1] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
        output.Advance(4);
    }

    public static void WriteSubAck(IBufferWriter<byte> output, ushort packetId, ReadOnlySpan<byte> returnCodes)
    {
        var remaining = 2 + returnCodes.Length;
        var size = 1 + SizeOfRemainingLength(remaining) + remaining;
        var span = output.GetSpan(size);
        span[0] = (byte)MqttPacketType.SubAck << 4;
        var at = 1 + WriteRemainingLength(span[1..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], packetId);
        returnCodes.CopyTo(span[(at + 2)..]);
        output.Advance(size);
    }

    public static void WritePingResp(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(2);
        span[0] = (byte)MqttPacketType.PingResp << 4;
        span[1] = 0;
        output.Advance(2);
    }

    /// <summary>A QoS 0 PUBLISH without retain, encoded once so the same bytes can go to every subscriber.</summary>
    /// <exception cref="ArgumentException">The topic is not valid UTF-16, or topic or packet are too long for MQTT.</exception>
    public static byte[] EncodePublish(string topic, ReadOnlySpan<byte> payload)
    {
        int topicLength;
        try { topicLength = StrictUtf8.GetByteCount(topic); }
        catch (EncoderFallbackException e) { throw new ArgumentException("The topic is not valid UTF-16.", nameof(topic), e); }
        if (topicLength > ushort.MaxValue) throw new ArgumentException("The topic is longer than 65,535 UTF-8 bytes.", nameof(topic));
        var remaining = 2L + topicLength + payload.Length;
        if (remaining > MqttPacketReader.MaxRemainingLength) throw new ArgumentException("The message is too large for an MQTT packet.", nameof(payload));

        var packet = new byte[1 + SizeOfRemainingLength((int)remaining) + remaining];
        packet[0] = (byte)MqttPacketType.Publish << 4;
        var at = 1 + WriteRemainingLength(packet.AsSpan(1), (int)remaining);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)topicLength);
        at += 2;
        at += StrictUtf8.GetBytes(topic, packet.AsSpan(at));
        payload.CopyTo(packet.AsSpan(at));
        return packet;
    }
}
