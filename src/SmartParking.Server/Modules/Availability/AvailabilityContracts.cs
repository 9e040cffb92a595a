namespace SmartParking.Server.Modules.Availability;

/// <summary>Counts of spaces by state; reserved stays 0 until reservations exist.</summary>
public sealed record Counts(int Free, int Occupied, int Reserved, int Unknown, int OutOfService)
{
    public static readonly Counts Empty = new(0, 0, 0, 0, 0);
    public int Total => Free + Occupied + Reserved + Unknown + OutOfService;
}

public sealed record LotAvailability(
    Guid LotId, string Name, string Kind, double Latitude, double Longitude, double? DistanceMeters,
    Counts Counts,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, Counts>? ByType,
    decimal PricePerHour, string Currency,
    DateTimeOffset? UpdatedAt, string Trend);

public sealed record SpaceAvailability(Guid SpaceId, string Label, string Type, string? Level, string Status, DateTimeOffset? Since, string? ExternalId);

public sealed record LotSpaces(LotAvailability Lot, IReadOnlyList<SpaceAvailability> Spaces);

/// <summary>One change pushed to stream subscribers.</summary>
public sealed record AvailabilityChange(long Version, Guid LotId, Guid SpaceId, string Status, DateTimeOffset ChangedAt, Counts LotCounts);
