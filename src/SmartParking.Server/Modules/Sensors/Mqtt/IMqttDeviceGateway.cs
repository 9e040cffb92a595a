using SmartParking.Server.Modules.Sensors.Registry;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>What a PUBLISH from a device came to.</summary>
public enum MqttPublishOutcome
{
    /// <summary>Durably accepted (or a harmless duplicate): send PUBACK for QoS 1.</summary>
    Accepted,
    /// <summary>The topic is not one this device may publish to.</summary>
    TopicNotAllowed,
    /// <summary>The payload could not be read as a reading or heartbeat.</summary>
    PayloadInvalid,
    /// <summary>The platform cannot take it right now (e.g. shutting down); the device should retry later.</summary>
    Unavailable,
}

public readonly record struct MqttPublishResult(MqttPublishOutcome Outcome, string? Reason = null)
{
    public static readonly MqttPublishResult Accepted = new(MqttPublishOutcome.Accepted);
}

/// <summary>
/// The boundary between the MQTT transport (protocol only) and the platform: who may connect, and what a
/// device's PUBLISH means. The transport knows nothing about readings or the database.
/// </summary>
public interface IMqttDeviceGateway
{
    /// <summary>Devices connect with username = sensor serial and password = its device secret. Null refuses the connection.</summary>
    Task<DeviceIdentity?> AuthenticateAsync(string clientId, string? username, ReadOnlyMemory<byte> password, CancellationToken ct);

    /// <summary>
    /// The device with this serial, without a secret: for messages an external broker has already authenticated
    /// (see <c>ExternalBroker</c>). Null when no sensor has the serial.
    /// </summary>
    Task<DeviceIdentity?> FindDeviceAsync(string serial, CancellationToken ct);

    /// <summary>
    /// Handles one PUBLISH. For QoS 1 the transport sends PUBACK only after this completes with Accepted; it may take
    /// a while when the database is slow (that is the back-pressure), so the connection stops reading meanwhile.
    /// </summary>
    ValueTask<MqttPublishResult> PublishAsync(DeviceIdentity device, string topic, ReadOnlyMemory<byte> payload, CancellationToken ct);
}
