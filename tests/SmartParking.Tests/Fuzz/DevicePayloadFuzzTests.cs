using System.Text;
using CsCheck;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Tests.Fuzz;

/// <summary>
/// What a device may send as a reading or heartbeat (MQTT payloads, HTTP items, FIWARE fragments): the parsers answer
/// yes or no with a reason, never throw, and never let through text the database cannot store.
/// </summary>
public sealed class DevicePayloadFuzzTests
{
    private static readonly string[] Fields = ["status", "occupied", "observedAt", "timestamp", "ts", "value", "metadata", "@value", "battery", "batteryPercent",
        "rssi", "signalDbm", "signal", "firmware", "type"];

    private static readonly Gen<byte[]> Payloads = Gen.Frequency(
        (4, JsonFuzz.ObjectOf(Fields).Select(Encoding.UTF8.GetBytes)),
        (2, JsonFuzz.Value(Fields).Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Byte.Array[0, 40]));

    [Fact]
    public void TryParseReading_HostilePayload_AnswersWithAReasonAndNeverThrows()
    {
        Payloads.Sample(payload =>
        {
            if (!ReadingPayloads.TryParseReading(payload, out var reading, out var error)) error.ShouldNotBeNullOrWhiteSpace();
            else if (reading.ObservedAt is { } at) at.Offset.ShouldBe(TimeSpan.Zero);
        }, iter: JsonFuzz.Iterations(5_000));
    }

    [Fact]
    public void TryParseHeartbeat_HostilePayload_NeverLetsThroughTextTheDatabaseCannotStore()
    {
        Payloads.Sample(payload =>
        {
            if (!ReadingPayloads.TryParseHeartbeat(payload, out var beat, out var error)) error.ShouldNotBeNullOrWhiteSpace();
            else StoredText.LabelProblem(beat.Firmware, 64).ShouldBeNull();
        }, iter: JsonFuzz.Iterations(5_000));
    }
}
