using SmartParking.Server.Modules.Sensors;

namespace SmartParking.Server.Modules.Lots;

/// <summary>
/// Lots and spaces created and updated; sensors registered from Device entities and refDevice, with each new sensor's secret
/// (and existing ones' when rotation was asked), returned this once; devices not taken, by entity index and attribute.
/// </summary>
public sealed record FiwareImportResult(int LotsCreated, int LotsUpdated, int SpacesCreated, int SpacesUpdated,
    int SensorsCreated = 0, int SensorsUpdated = 0, IReadOnlyList<SensorSecret>? SensorSecrets = null, IReadOnlyList<BulkSensorError>? SensorErrors = null);

/// <summary>
/// What the request says for sites whose data is silent (Smart Data Models carry no time zone, and a price only on
/// OffStreetParking): null when not given. Without them a new lot takes the tenant's time zone and currency and a rate of
/// 0, and an existing lot keeps what it has. SensorKind is the kind of the sensors devices register as (Device carries
/// none of ours; a new one is a magnetometer and an existing one keeps its kind when not given); RotateSecrets gives devices already registered new secrets too.
/// </summary>
public sealed record FiwareImportRequest(Guid? TenantId = null, decimal? BaseHourlyRate = null, string? TimeZone = null, string? Currency = null,
    string? SensorKind = null, bool RotateSecrets = false);
