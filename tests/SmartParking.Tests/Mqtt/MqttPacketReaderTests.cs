using System.Buffers;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;
using static SmartParking.Tests.Mqtt.RawMqttClient;

namespace SmartParking.Tests.Mqtt;

public sealed class MqttPacketReaderTests
{
    private const int Max = 64 * 1024;

    // ---- fixed header ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(new byte[] { 0x00 }, 0, 2)]
    [InlineData(new byte[] { 0x7F }, 127, 2)]
    [InlineData(new byte[] { 0x80, 0x01 }, 128, 3)]
    [InlineData(new byte[] { 0xFF, 0x7F }, 16_383, 3)]
    [InlineData(new byte[] { 0x80, 0x80, 0x01 }, 16_384, 4)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0x7F }, 2_097_151, 4)]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x01 }, 2_097_152, 5)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F }, 268_435_455, 5)]
    public void FixedHeader_RemainingLengthOfOneToFourBytes_Decoded(byte[] lengthBytes, int expected, int headerLength)
    {
        var status = MqttPacketReader.TryReadFixedHeader(Seq([0x30, .. lengthBytes]), out var header, out var error);

        status.ShouldBe(MqttReadStatus.Packet, error?.ToString());
        header.ShouldBe(new MqttFixedHeader(MqttPacketType.Publish, 0, expected, headerLength));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80 })]
    public void FixedHeader_RemainingLengthContinuesIntoAFifthByte_Invalid(byte[] lengthBytes)
    {
        var result = MqttPacketReader.TryRead(Seq([0x30, .. lengthBytes]), int.MaxValue);

        result.Status.ShouldBe(MqttReadStatus.Invalid);
        result.Error!.Code.ShouldBe(MqttErrorCode.MalformedRemainingLength);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x30 })]
    [InlineData(new byte[] { 0x30, 0x80 })]
    [InlineData(new byte[] { 0x30, 0xFF, 0xFF, 0xFF })]
    public void FixedHeader_CutOff_Incomplete(byte[] bytes) =>
        MqttPacketReader.TryRead(Seq(bytes), Max).Status.ShouldBe(MqttReadStatus.Incomplete);

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x0F)]
    [InlineData(0xF0)]
    [InlineData(0xFF)]
    public void FixedHeader_ReservedPacketType0Or15_InvalidOnTheFirstByte(byte first)
    {
        var result = MqttPacketReader.TryRead(Seq([first]), Max);

        result.Status.ShouldBe(MqttReadStatus.Invalid);
        result.Error!.Code.ShouldBe(MqttErrorCode.ReservedPacketType);
    }

    [Theory]
    [InlineData(0x36)] // PUBLISH with QoS 3
    [InlineData(0x80)] // SUBSCRIBE needs 0010
    [InlineData(0xA0)] // UNSUBSCRIBE needs 0010
    [InlineData(0x60)] // PUBREL needs 0010
    [InlineData(0xC1)] // PINGREQ needs 0000
    [InlineData(0x12)] // CONNECT needs 0000
    [InlineData(0x47)] // "G" of an HTTP request: PUBACK with flags 0111
    public void FixedHeader_FlagsWrongForTheType_InvalidOnTheFirstByte(byte first)
    {
        var result = MqttPacketReader.TryRead(Seq([first]), Max);

        result.Status.ShouldBe(MqttReadStatus.Invalid);
        result.Error!.Code.ShouldBe(MqttErrorCode.InvalidFlags);
    }

    [Fact]
    public void TryRead_HeaderAnnouncesMoreThanTheLimit_InvalidWithoutTheBody()
    {
        // 0x30, remaining length 1,000,000: only the header has arrived.
        var result = MqttPacketReader.TryRead(Seq([0x30, 0xC0, 0x84, 0x3D]), maxPacketBytes: 8192);

        result.Status.ShouldBe(MqttReadStatus.Invalid);
        result.Error!.Code.ShouldBe(MqttErrorCode.PacketTooLarge);
    }

    [Fact]
    public void TryRead_PacketOfExactlyTheLimit_Accepted()
    {
        var packet = Publish("t", new string('x', 100));

        MqttPacketReader.TryRead(Seq(packet), packet.Length).Status.ShouldBe(MqttReadStatus.Packet);
        MqttPacketReader.TryRead(Seq(packet), packet.Length - 1).Error!.Code.ShouldBe(MqttErrorCode.PacketTooLarge);
    }

    // ---- packets split and joined across reads ----------------------------------------------------------------

    [Fact]
    public void TryRead_PacketArrivingByteByByte_IncompleteUntilTheLastByte()
    {
        var packet = Connect("sensor-1", "SN-1", "secret", keepAliveSeconds: 30);

        for (var length = 0; length < packet.Length; length++)
            MqttPacketReader.TryRead(Seq(packet[..length]), Max).Status.ShouldBe(MqttReadStatus.Incomplete, $"after {length} bytes");
        MqttPacketReader.TryRead(Seq(packet), Max).Packet.ShouldBeOfType<MqttConnect>().ClientId.ShouldBe("sensor-1");
    }

    [Fact]
    public void TryRead_PacketSpreadOverOneSegmentPerByte_DecodedLikeOneSegment()
    {
        var packet = Connect("sensor-é", "SN-1", "secret");

        var split = MqttPacketReader.TryRead(Segments(packet.Select(b => new[] { b }).ToArray()), Max);

        split.Packet.ShouldBe(MqttPacketReader.TryRead(Seq(packet), Max).Packet, new ConnectComparer());
        split.Packet.ShouldBeOfType<MqttConnect>().ClientId.ShouldBe("sensor-é");
    }

    [Fact]
    public void TryRead_TwoPacketsAndAPartialThird_ReturnsThemInOrderThenIncomplete()
    {
        var buffer = Seq([.. Publish("a/b", "1", qos: 1, packetId: 1), .. PingReq(), .. Publish("a/b", "3")[..4]]);

        var first = MqttPacketReader.TryRead(buffer, Max);
        buffer = buffer.Slice(first.Consumed);
        var second = MqttPacketReader.TryRead(buffer, Max);
        buffer = buffer.Slice(second.Consumed);
        var third = MqttPacketReader.TryRead(buffer, Max);

        first.Packet.ShouldBeOfType<MqttPublish>().PacketId.ShouldBe((ushort)1);
        second.Packet.ShouldBe(MqttEmptyPacket.PingReq);
        third.Status.ShouldBe(MqttReadStatus.Incomplete);
        third.Consumed.ShouldBe(buffer.Start);
    }

    // ---- CONNECT -------------------------------------------------------------------------------------------------

    [Fact]
    public void Connect_AllFields_Decoded()
    {
        // Flags: user name, password, will retain, will QoS 1, will, clean session.
        byte[] body = [.. Str("MQTT"), 4, 0b1110_1110, 0, 45, .. Str("id-1"), .. Str("w/t"), .. Bytes([1, 2]), .. Str("SN-9"), .. Bytes("pw"u8.ToArray())];

        var connect = Decode(Packet(0x10, body)).ShouldBeOfType<MqttConnect>();

        connect.CleanSession.ShouldBeTrue();
        connect.KeepAliveSeconds.ShouldBe((ushort)45);
        connect.ClientId.ShouldBe("id-1");
        connect.Will.ShouldNotBeNull();
        connect.Will.Topic.ShouldBe("w/t");
        connect.Will.Payload.ShouldBe(new byte[] { 1, 2 });
        connect.Will.Qos.ShouldBe(MqttQos.AtLeastOnce);
        connect.Will.Retain.ShouldBeTrue();
        connect.UserName.ShouldBe("SN-9");
        connect.Password.ShouldBe("pw"u8.ToArray());
    }

    [Fact]
    public void Connect_ZeroLengthClientIdAndNoCredentials_DecodedAsEmpty()
    {
        var connect = Decode(Connect("", null, null, cleanSession: false)).ShouldBeOfType<MqttConnect>();

        connect.ClientId.ShouldBe("");
        connect.CleanSession.ShouldBeFalse();
        connect.UserName.ShouldBeNull();
        connect.Password.ShouldBeNull();
    }

    [Theory]
    [InlineData("MQIsdp", 3)]
    [InlineData("MQTT", 5)]
    [InlineData("MQTT", 3)]
    [InlineData("HTTP", 4)]
    public void Connect_OtherProtocolOrLevel_UnsupportedWithoutDecodingTheRest(string name, byte level)
    {
        // What follows the level is not 3.1.1 (5.0 adds properties); it must not be judged by 3.1.1 rules.
        byte[] body = [.. Str(name), level, 0x02, 0, 60, 0x05, 0x11, 0, 0, 0, 10, .. Str("id")];

        Decode(Packet(0x10, body)).ShouldBe(new MqttUnsupportedConnect(name, level));
    }

    [Theory]
    [InlineData(0b0000_0011, "reserved")]      // reserved bit
    [InlineData(0b0001_1110, "will QoS is 3")] // will QoS 3
    [InlineData(0b0010_0010, "without a will")] // will retain without a will
    [InlineData(0b0000_1010, "without a will")] // will QoS without a will
    [InlineData(0b0100_0010, "without a user name")] // password without user name
    public void Connect_InvalidFlags_Malformed(byte flags, string detail)
    {
        byte[] body = [.. Str("MQTT"), 4, flags, 0, 60, .. Str("id"), .. Str("w"), .. Bytes([1]), .. Bytes([1])];

        var error = Error(Packet(0x10, body));

        error.Code.ShouldBe(MqttErrorCode.MalformedPacket);
        error.Detail.ShouldContain(detail);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 }, "UTF-8")]             // a lead byte without its continuation
    [InlineData(new byte[] { 0xC0, 0x80 }, "UTF-8")]             // overlong encoding of U+0000
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "UTF-8")]       // a UTF-16 surrogate (MQTT-1.5.3-1)
    [InlineData(new byte[] { 0xFF }, "UTF-8")]
    [InlineData(new byte[] { 0x61, 0x00, 0x62 }, "U+0000")]      // MQTT-1.5.3-2
    public void Connect_ClientIdNotValidUtf8_InvalidString(byte[] clientId, string detail)
    {
        byte[] body = [.. Str("MQTT"), 4, 0x02, 0, 60, .. Bytes(clientId)];

        var error = Error(Packet(0x10, body));

        error.Code.ShouldBe(MqttErrorCode.InvalidString);
        error.Detail.ShouldContain(detail);
    }

    [Fact]
    public void Connect_StringLongerThanThePacket_Malformed()
    {
        byte[] body = [.. Str("MQTT"), 4, 0x02, 0, 60, 0x00, 0x20, (byte)'i', (byte)'d'];

        Error(Packet(0x10, body)).Code.ShouldBe(MqttErrorCode.MalformedPacket);
    }

    [Fact]
    public void Connect_BytesAfterTheLastField_Malformed() =>
        Error(Packet(0x10, [.. Connect("id", null, null)[2..], 0x00])).Code.ShouldBe(MqttErrorCode.MalformedPacket);

    // ---- PUBLISH ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Publish_QoS1WithDupAndRetain_Decoded()
    {
        var bytes = Publish("parking/sensors/SN-1/readings", "{\"occupied\":true}", qos: 1, packetId: 513, duplicate: true);
        bytes[0] |= 0x01; // retain

        var publish = Decode(bytes).ShouldBeOfType<MqttPublish>();

        publish.Topic.ShouldBe("parking/sensors/SN-1/readings");
        publish.Qos.ShouldBe(MqttQos.AtLeastOnce);
        publish.PacketId.ShouldBe((ushort)513);
        publish.Duplicate.ShouldBeTrue();
        publish.Retain.ShouldBeTrue();
        publish.Payload.ToArray().ShouldBe("{\"occupied\":true}"u8.ToArray());
    }

    [Fact]
    public void Publish_QoS0EmptyPayload_DecodedWithoutPacketId()
    {
        var publish = Decode(Publish("t", "")).ShouldBeOfType<MqttPublish>();

        publish.PacketId.ShouldBe((ushort)0);
        publish.Payload.Length.ShouldBe(0);
    }

    [Fact]
    public void Publish_PayloadCopiedOutOfTheBuffer_SurvivesTheBufferBeingReused()
    {
        var bytes = Publish("t", "abc");
        var publish = Decode(bytes).ShouldBeOfType<MqttPublish>();

        Array.Fill(bytes, (byte)0);

        publish.Payload.ToArray().ShouldBe("abc"u8.ToArray());
    }

    [Theory]
    [InlineData("a/+/c")]
    [InlineData("a/#")]
    [InlineData("")]
    public void Publish_TopicWithWildcardOrEmpty_InvalidTopic(string topic) =>
        Error(Publish(topic, "x")).Code.ShouldBe(MqttErrorCode.InvalidTopic);

    [Fact]
    public void Publish_QoS1WithPacketId0_Malformed() =>
        Error(Publish("t", "x", qos: 1, packetId: 0)).Code.ShouldBe(MqttErrorCode.MalformedPacket);

    [Fact]
    public void Publish_TopicInvalidUtf8_InvalidString() =>
        Error(Packet(0x30, [.. Bytes([0x61, 0xC3]), (byte)'x'])).Code.ShouldBe(MqttErrorCode.InvalidString);

    // ---- SUBSCRIBE, UNSUBSCRIBE, acknowledgements, empty packets ---------------------------------------------------

    [Fact]
    public void Subscribe_TwoFilters_Decoded()
    {
        var subscribe = Decode(Packet(0x82, [0, 7, .. Str("a/#"), 1, .. Str("b"), 2])).ShouldBeOfType<MqttSubscribe>();

        subscribe.PacketId.ShouldBe((ushort)7);
        subscribe.Subscriptions.ShouldBe([new MqttSubscription("a/#", MqttQos.AtLeastOnce), new MqttSubscription("b", MqttQos.ExactlyOnce)]);
    }

    [Theory]
    [InlineData(new byte[] { 0, 7 }, (int)MqttErrorCode.MalformedPacket)]                     // no filter (MQTT-3.8.3-3)
    [InlineData(new byte[] { 0, 7, 0, 1, (byte)'a', 3 }, (int)MqttErrorCode.MalformedPacket)]    // QoS 3
    [InlineData(new byte[] { 0, 7, 0, 1, (byte)'a', 0x41 }, (int)MqttErrorCode.MalformedPacket)] // reserved bits (MQTT-3.8.3-4)
    [InlineData(new byte[] { 0, 7, 0, 0, 1 }, (int)MqttErrorCode.InvalidTopic)]                  // empty filter
    [InlineData(new byte[] { 0, 0, 0, 1, (byte)'a', 1 }, (int)MqttErrorCode.MalformedPacket)]    // packet id 0
    public void Subscribe_Invalid_Refused(byte[] body, int code) =>
        Error(Packet(0x82, body)).Code.ShouldBe((MqttErrorCode)code);

    [Fact]
    public void Unsubscribe_NoFilter_Malformed() => Error(Packet(0xA2, [0, 9])).Code.ShouldBe(MqttErrorCode.MalformedPacket);

    [Fact]
    public void Unsubscribe_Filters_Decoded() =>
        Decode(Packet(0xA2, [0, 9, .. Str("a"), .. Str("b/#")])).ShouldBeOfType<MqttUnsubscribe>().Filters.ShouldBe(["a", "b/#"]);

    [Theory]
    [InlineData(0x40, (int)MqttPacketType.PubAck)]
    [InlineData(0x50, (int)MqttPacketType.PubRec)]
    [InlineData(0x62, (int)MqttPacketType.PubRel)]
    [InlineData(0x70, (int)MqttPacketType.PubComp)]
    [InlineData(0xB0, (int)MqttPacketType.UnsubAck)]
    public void PacketIdentifierOnly_Decoded(byte first, int type) =>
        Decode([first, 2, 0x01, 0x02]).ShouldBe(new MqttPacketIdentifier((MqttPacketType)type, 0x0102));

    [Theory]
    [InlineData(0xC0)]
    [InlineData(0xD0)]
    [InlineData(0xE0)]
    public void EmptyPacket_WithABody_Malformed(byte first) =>
        Error([first, 1, 0]).Code.ShouldBe(MqttErrorCode.MalformedPacket);

    [Fact]
    public void ConnAck_ReservedReturnCode_Malformed() => Error([0x20, 2, 0, 6]).Code.ShouldBe(MqttErrorCode.MalformedPacket);

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static MqttPacket Decode(byte[] bytes)
    {
        var result = MqttPacketReader.TryRead(Seq(bytes), Max);
        result.Status.ShouldBe(MqttReadStatus.Packet, result.Error?.ToString());
        result.Consumed.ShouldBe(Seq(bytes).End);
        return result.Packet!;
    }

    private static MqttDecodeError Error(byte[] bytes)
    {
        var result = MqttPacketReader.TryRead(Seq(bytes), Max);
        result.Status.ShouldBe(MqttReadStatus.Invalid, $"decoded as {result.Packet}");
        return result.Error!;
    }

    private static ReadOnlySequence<byte> Seq(byte[] bytes) => new(bytes);

    internal static ReadOnlySequence<byte> Segments(byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1)) last = last.Append(part);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private sealed class ConnectComparer : IEqualityComparer<MqttPacket?>
    {
        public bool Equals(MqttPacket? x, MqttPacket? y) => x is MqttConnect a && y is MqttConnect b
            && a with { Password = null } == b with { Password = null } && a.Password!.SequenceEqual(b.Password!);

        public int GetHashCode(MqttPacket? obj) => 0;
    }
}
