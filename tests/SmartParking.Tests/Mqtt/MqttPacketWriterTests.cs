using System.Buffers;
using System.Text;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;

namespace SmartParking.Tests.Mqtt;

public sealed class MqttPacketWriterTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(127, new byte[] { 0x7F })]
    [InlineData(128, new byte[] { 0x80, 0x01 })]
    [InlineData(16_383, new byte[] { 0xFF, 0x7F })]
    [InlineData(16_384, new byte[] { 0x80, 0x80, 0x01 })]
    [InlineData(2_097_151, new byte[] { 0xFF, 0xFF, 0x7F })]
    [InlineData(2_097_152, new byte[] { 0x80, 0x80, 0x80, 0x01 })]
    [InlineData(268_435_455, new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })]
    public void WriteRemainingLength_Value_EncodedAsInTheSpecification(int value, byte[] expected)
    {
        var buffer = new byte[4];

        var written = MqttPacketWriter.WriteRemainingLength(buffer, value);

        buffer[..written].ShouldBe(expected);
        MqttPacketWriter.SizeOfRemainingLength(value).ShouldBe(expected.Length);
    }

    [Fact]
    public void WriteRemainingLength_BeyondFourBytes_Throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => MqttPacketWriter.WriteRemainingLength(new byte[5], 268_435_456));

    [Theory]
    [InlineData((int)MqttConnectReturnCode.Accepted)]
    [InlineData((int)MqttConnectReturnCode.BadUserNameOrPassword)]
    public void WriteConnAck_ReadBack_SameCode(int code) =>
        RoundTrip(w => MqttPacketWriter.WriteConnAck(w, sessionPresent: false, (MqttConnectReturnCode)code))
            .ShouldBe(new MqttConnAck(false, (MqttConnectReturnCode)code));

    [Theory]
    [InlineData((int)MqttPacketType.PubAck)]
    [InlineData((int)MqttPacketType.PubRec)]
    [InlineData((int)MqttPacketType.PubRel)]
    [InlineData((int)MqttPacketType.PubComp)]
    [InlineData((int)MqttPacketType.UnsubAck)]
    public void WritePacketIdentifier_ReadBack_SameTypeAndId(int type) =>
        RoundTrip(w => MqttPacketWriter.WritePacketIdentifier(w, (MqttPacketType)type, 65_535))
            .ShouldBe(new MqttPacketIdentifier((MqttPacketType)type, 65_535));

    [Fact]
    public void WriteSubAck_ReadBack_SameCodes()
    {
        var subAck = RoundTrip(w => MqttPacketWriter.WriteSubAck(w, 3, [0, MqttSubAck.Failure, 0])).ShouldBeOfType<MqttSubAck>();

        subAck.PacketId.ShouldBe((ushort)3);
        subAck.ReturnCodes.ShouldBe([0, MqttSubAck.Failure, 0]);
    }

    [Fact]
    public void WritePingResp_ReadBack_PingResp() => RoundTrip(MqttPacketWriter.WritePingResp).ShouldBe(MqttEmptyPacket.PingResp);

    [Fact]
    public void EncodePublish_PayloadNeedingATwoByteLength_ReadBackAsQoS0()
    {
        var payload = Encoding.UTF8.GetBytes(new string('p', 300));

        var bytes = MqttPacketWriter.EncodePublish("parking/sensors/SN-1/commands/ø", payload);
        var publish = MqttPacketReader.TryRead(new ReadOnlySequence<byte>(bytes), int.MaxValue).Packet.ShouldBeOfType<MqttPublish>();

        bytes[0].ShouldBe((byte)0x30);
        publish.Topic.ShouldBe("parking/sensors/SN-1/commands/ø");
        publish.Qos.ShouldBe(MqttQos.AtMostOnce);
        publish.Payload.ToArray().ShouldBe(payload);
    }

    [Fact]
    public void EncodePublish_TopicWithALoneSurrogate_Throws() =>
        Should.Throw<ArgumentException>(() => MqttPacketWriter.EncodePublish("a/\ud800", []));

    private static MqttPacket RoundTrip(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        var result = MqttPacketReader.TryRead(new ReadOnlySequence<byte>(buffer.WrittenMemory), int.MaxValue);
        result.Status.ShouldBe(MqttReadStatus.Packet, result.Error?.ToString());
        return result.Packet!;
    }
}

public sealed class MqttTopicsTests
{
    [Theory]
    [InlineData("parking/sensors/SN-1/commands", true)]
    [InlineData("parking/sensors/SN-1/commands/#", true)]
    [InlineData("parking/sensors/SN-2/commands", false)]
    [InlineData("parking/sensors/SN-1/commands/+", false)]
    [InlineData("parking/sensors/SN-1/commands/reboot", false)]
    [InlineData("parking/sensors/SN-1/#", false)]
    [InlineData("parking/sensors/+/commands", false)]
    [InlineData("#", false)]
    [InlineData("parking/sensors/SN-1/commandsX#", false)]
    [InlineData("parking/sensors/SN-1/commands/", false)]
    public void IsOwnCommandFilter_Filter_OnlyTheDevicesOwnCommandTopics(string filter, bool allowed) =>
        MqttTopics.IsOwnCommandFilter(filter, "SN-1").ShouldBe(allowed);

    [Theory]
    [InlineData("a/commands", "a/commands", true)]
    [InlineData("a/commands", "a/commands/x", false)]
    [InlineData("a/commands/#", "a/commands", true)]
    [InlineData("a/commands/#", "a/commands/x/y", true)]
    [InlineData("a/commands/#", "a/commandsx", false)]
    [InlineData("a/commands/#", "a/command", false)]
    public void Matches_TopicAgainstGrantedFilter_FollowsTheWildcardRules(string filter, string topic, bool matches) =>
        MqttTopics.Matches(filter, topic).ShouldBe(matches);
}
