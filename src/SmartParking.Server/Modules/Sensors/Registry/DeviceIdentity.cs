namespace SmartParking.Server.Modules.Sensors.Registry;

/// <summary>A connected device as the MQTT transport knows it.</summary>
public sealed record DeviceIdentity(Guid SensorId, Guid TenantId, string Serial, Guid? SpaceId, Guid? LotId);
