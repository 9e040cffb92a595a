using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Lots;

public sealed record SpaceRequest(
    [property: Required] string? Label,
    [property: Required, Vocabulary(typeof(LotsVocabulary), nameof(LotsVocabulary.SpaceTypes))] string? Type,
    string? Level,
    Guid? ZoneId,
    bool? OutOfService,
    [property: Description("Decimal degrees (WGS 84), -90 to 90.")] double? Latitude,
    [property: Description("Decimal degrees (WGS 84), -180 to 180.")] double? Longitude,
    [property: Description("The space's id elsewhere, e.g. its FIWARE ParkingSpot id.")] string? ExternalId);

/// <summary>A space as the API returns it.</summary>
public class Space
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public Guid LotId { get; init; }
    public Guid? ZoneId { get; init; }
    public string Label { get; init; } = "";
    public string Type { get; init; } = "";
    public string? Level { get; init; }
    public bool OutOfService { get; init; }
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public string? ExternalId { get; init; }
    public Guid? SensorId { get; init; }
    public string? SensorSerial { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record ImportRowError(int Row, string Field, string Message);

/// <summary>
/// A CSV import's outcome: spaces created and updated, sensors created and updated, the secret of each new sensor (and of
/// existing ones when rotation was asked), returned this once, and the rows whose sensor could not be taken.
/// </summary>
public sealed record ImportResult(int Created, int Updated, IReadOnlyList<ImportRowError> Errors, int SensorsCreated = 0, int SensorsUpdated = 0,
    IReadOnlyList<SensorSecret>? SensorSecrets = null);

/// <summary>A space with its live status (free, occupied, reserved, unknown, out_of_service) from the availability model.</summary>
public sealed class SpaceView : Space
{
    public string Status { get; init; } = "unknown";
    public DateTimeOffset? StatusSince { get; init; }
}
