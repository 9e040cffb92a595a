using System.Text;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Server.Modules.Sensors.Registry;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// MQTT devices publish to <c>parking/sensors/{serial}/status</c> (a reading) and <c>parking/sensors/{serial}/heartbeat</c>
/// (battery, signal, firmware), only under their own serial.
/// </summary>
public sealed class MqttIngestGateway(DeviceIngest ingest, TimeProvider time, ILogger<MqttIngestGateway> logger) : IMqttDeviceGateway
{
    public const string TopicPrefix = "parking/sensors/";

    public async Task<DeviceIdentity?> AuthenticateAsync(string clientId, string? username, ReadOnlyMemory<byte> password, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(username) || password.IsEmpty) return null;
        string secret;
        try { secret = new UTF8Encoding(false, true).GetString(password.Span); }
        catch (DecoderFallbackException) { return null; }
        return Identity(await ingest.Directory.VerifyAsync(username, secret, ct));
    }

    public async Task<DeviceIdentity?> FindDeviceAsync(string serial, CancellationToken ct) => Identity(await ingest.Directory.FindAsync(serial, ct));

    private static DeviceIdentity? Identity(SensorInfo? sensor) =>
        sensor is null ? null : new DeviceIdentity(sensor.SensorId, sensor.TenantId, sensor.Serial, sensor.SpaceId, sensor.LotId);

    public async ValueTask<MqttPublishResult> PublishAsync(DeviceIdentity device, string topic, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var own = TopicPrefix + device.Serial + "/";
        if (!topic.StartsWith(own, StringComparison.Ordinal))
            return new(MqttPublishOutcome.TopicNotAllowed, $"a device may publish only under {own}");
        switch (topic[own.Length..])
        {
            case "status":
                if (!ReadingPayloads.TryParseReading(payload, out var parsed, out var error)) return new(MqttPublishOutcome.PayloadInvalid, error);
                var (reading, problem) = await ingest.ResolveAsync(device.Serial, parsed, ReadingSource.Mqtt, device.TenantId, ct);
                if (problem is not null) return new(MqttPublishOutcome.PayloadInvalid, problem);
                return Result(await ingest.Pipeline.SubmitAsync(reading, ct));
            case "heartbeat":
                if (!ReadingPayloads.TryParseHeartbeat(payload, out var beat, out var beatError)) return new(MqttPublishOutcome.PayloadInvalid, beatError);
                return Result(await ingest.Pipeline.SubmitHeartbeatAsync(new Heartbeat(device.SensorId, time.GetUtcNow(), beat.BatteryPercent, beat.SignalDbm, beat.Firmware), ct));
            default:
                logger.LogDebug("Device {Serial} published to unknown topic {Topic}", device.Serial, topic);
                return new(MqttPublishOutcome.TopicNotAllowed, "topics are parking/sensors/{serial}/status and parking/sensors/{serial}/heartbeat");
        }
    }

    private static MqttPublishResult Result(IngestOutcome outcome) => outcome switch
    {
        IngestOutcome.Unavailable => new(MqttPublishOutcome.Unavailable, "the platform is not accepting readings right now"),
        IngestOutcome.Rejected => new(MqttPublishOutcome.PayloadInvalid, "the platform cannot store this message"),
        _ => MqttPublishResult.Accepted,
    };
}
