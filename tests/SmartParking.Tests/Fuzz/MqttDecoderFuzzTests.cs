using System.Buffers;
using CsCheck;
using SmartParking.Server.Modules.Sensors.Mqtt.Protocol;
using static SmartParking.Tests.Mqtt.RawMqttClient;

namespace SmartParking.Tests.Fuzz;

/// <summary>
/// The MQTT decoder against random bytes and mutated valid packets: it answers Packet, Incomplete or Invalid, never
/// throws, never consumes past the buffer, and reads the same packet however the bytes are split.
/// </summary>
public sealed class MqttDecoderFuzzTests
{
    private const int MaxPacket = 64 * 1024;

    private static readonly byte[][] Valid =
    [
        Connect("client-1", "SN-1", "secret"),
        Connect("", null, null, cleanSession: true),
        Publish("parking/sensors/SN-1/status", """{"status":"occupied"}""", qos: 1, packetId: 7),
        Publish("parking/sensors/SN-1/heartbeat", """{"battery":50,"firmware":"a\u0000b"}""", qos: 2, packetId: 9),
        Publish("t", "", qos: 0),
        Subscribe(3, "parking/sensors/SN-1/commands/#", "a/+/b"),
        PubRel(5), PingReq(), Disconnect(),
        [0x40, 0x02, 0x00, 0x01], // PUBACK
        [0xA2, 0x05, 0x00, 0x02, 0x00, 0x01, 0x61], // UNSUBSCRIBE
    ];

    /// <summary>A valid packet with a few bytes flipped, cut, or grown; or plain noise.</summary>
    private static readonly Gen<byte[]> Inputs = Gen.Frequency(
        (1, Gen.Byte.Array[0, 64]),
        (3, Gen.Select(Gen.OneOf(Valid), Gen.Select(Gen.Int[0, 1000], Gen.Byte).Array[1, 4], Gen.Int[-8, 8]).Select((packet, flips, resize) =>
        {
            var bytes = packet.ToList();
            foreach (var (at, value) in flips) if (bytes.Count > 0) bytes[at % bytes.Count] = value;
            if (resize < 0) bytes.RemoveRange(Math.Max(0, bytes.Count + resize), Math.Min(bytes.Count, -resize));
            else for (var i = 0; i < resize; i++) bytes.Add((byte)(i * 37));
            return bytes.ToArray();
        })));

    [Fact]
    public void TryRead_HostileBytes_AnswersWithoutThrowingAndStaysInsideTheBuffer()
    {
        Inputs.Sample(bytes =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            var result = MqttPacketReader.TryRead(buffer, MaxPacket);
            if (result.Status == MqttReadStatus.Packet)
            {
                result.Packet.ShouldNotBeNull();
                buffer.Slice(buffer.Start, result.Consumed).Length.ShouldBeLessThanOrEqualTo(bytes.Length);
            }
            if (result.Status == MqttReadStatus.Invalid) result.Error.ShouldNotBeNull();
        }, iter: JsonFuzz.Iterations(20_000));
    }

    [Fact]
    public void TryRead_BytesSplitAnywhere_SameOutcomeAsWhole()
    {
        Gen.Select(Inputs, Gen.Int[0, 100]).Sample((bytes, cut) =>
        {
            var whole = MqttPacketReader.TryRead(new ReadOnlySequence<byte>(bytes), MaxPacket);
            var split = MqttPacketReader.TryRead(Split(bytes, bytes.Length == 0 ? 0 : cut % (bytes.Length + 1)), MaxPacket);
            split.Status.ShouldBe(whole.Status);
            split.Packet?.GetType().ShouldBe(whole.Packet?.GetType());
        }, iter: JsonFuzz.Iterations(5_000));
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int at) => Mqtt.MqttPacketReaderTests.Segments([bytes[..at], bytes[at..]]);
}
