using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Sensors;

public sealed record SensorRequest(
    Guid? TenantId,
    [property: Required, Description("The device's serial: its MQTT user name, without spaces, '/', '+' or '#'.")] string? Serial,
    [property: Required, Vocabulary(typeof(SensorKinds), nameof(SensorKinds.All))] string? Kind,
    Guid? SpaceId,
    Guid? LotId,
    [property: Description("How often the sensor is expected to report, in seconds (its heartbeat, or its longest silence when it reports only on change); left out, its lot's or kind's.")] int? HeartbeatSeconds = null);

public sealed class Sensor
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public string Serial { get; init; } = "";
    public string Kind { get; init; } = "";
    public Guid? SpaceId { get; init; }
    public string? SpaceLabel { get; init; }
    public Guid? LotId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? LastSeenAt { get; init; }
    public short? BatteryPercent { get; init; }
    public short? SignalDbm { get; init; }
    public string? Firmware { get; init; }
    /// <summary>The sensor's own expected interval, if set.</summary>
    public int? HeartbeatSeconds { get; init; }
    /// <summary>The interval that applies: its own, its lot's, its kind's or the default (see SensorReporting).</summary>
    public int ExpectedSeconds { get; init; }
    /// <summary>What the space's sensor last reported (free, occupied, unknown, closed) and when it was observed.</summary>
    public string? LastStatus => LastStatusCode is { } code ? SpaceStatuses.Name((SpaceStatus)code) : null;
    public DateTimeOffset? LastObservedAt { get; init; }
    [System.Text.Json.Serialization.JsonIgnore] public short? LastStatusCode { get; init; }
    /// <summary>The lot's name, filled in by the sensors table (from the lot catalogue).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? LotName { get; set; }

    /// <summary>online, offline (overdue: silent longer than twice its expected interval and the grace) or never_seen.</summary>
    public string Health { get; init; } = "never_seen";
    public bool LowBattery { get; set; }

    public Sensor WithLowBattery(int lowBatteryPercent)
    {
        LowBattery = BatteryPercent is { } b && b <= lowBatteryPercent;
        return this;
    }
}

/// <summary>One reading as the sensor sent it and when we received it; source is mqtt, http, ngsi-ld or ngsi-v2.</summary>
public sealed record SensorReading(DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, string Status, string Source);

public sealed record SensorHealthSummary(Guid? LotId, int Online, int Offline, int NeverSeen, int LowBattery);

/// <summary>Returned once, when a sensor is created or its secret rotated: the secret is not stored in readable form.</summary>
public sealed record SensorWithSecret(Sensor Sensor, string DeviceSecret);

public static class SensorKinds
{
    public static readonly string[] All = ["magnetometer", "camera", "ultrasonic", "gate_counter"];
}

/// <summary>
/// One sensor of a bulk registration: placed on a space (by id or by the space's external id), in a lot, or left where it
/// is. A serial already registered to the caller's tenant is moved and re-kinded instead of created.
/// </summary>
public sealed record BulkSensorItem(string? Serial, string? Kind, Guid? SpaceId = null, string? SpaceExternalId = null, Guid? LotId = null);

/// <summary>The body of POST /api/v1/manage/sensors/bulk; rotateSecrets gives existing sensors new secrets as well.</summary>
public sealed record BulkSensorRequest(Guid? TenantId, bool? RotateSecrets, IReadOnlyList<BulkSensorItem>? Sensors);

/// <summary>An item that was not registered, by its position in the request and the field at fault.</summary>
public sealed record BulkSensorError(int Index, string Field, string Message);

/// <summary>A device secret, returned once: for each new sensor, and for existing ones only when rotation was asked.</summary>
public sealed record SensorSecret(string Serial, Guid SensorId, string DeviceSecret);

public sealed record BulkSensorResult(int Created, int Updated, IReadOnlyList<SensorSecret> Secrets, IReadOnlyList<BulkSensorError> Errors);
