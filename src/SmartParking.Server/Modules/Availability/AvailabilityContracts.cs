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

/// <summary>A space; its own hourly price shows only where it differs from the lot's (a zone or space type priced apart).</summary>
public sealed record SpaceAvailability(Guid SpaceId, string Label, string Type, string? Level, string Status, DateTimeOffset? Since, string? ExternalId,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] decimal? PricePerHour);

/// <summary>A pricing unit's hourly rate now, and the rates of the space types its policy prices apart.</summary>
public sealed record UnitPrice(decimal Rate, IReadOnlyDictionary<string, decimal>? TypeRates = null)
{
    public decimal RateFor(string? type) => type is not null && TypeRates is not null && TypeRates.TryGetValue(type, out var rate) ? rate : Rate;

    public bool Equals(UnitPrice? other) =>
        other is not null && Rate == other.Rate && (TypeRates?.Count ?? 0) == (other.TypeRates?.Count ?? 0)
        && (TypeRates is null || TypeRates.All(t => other.TypeRates!.TryGetValue(t.Key, out var r) && r == t.Value));

    public override int GetHashCode() => Rate.GetHashCode();
}

public sealed record LotSpaces(LotAvailability Lot, IReadOnlyList<SpaceAvailability> Spaces);

/// <summary>One change pushed to stream subscribers.</summary>
public sealed record AvailabilityChange(long Version, Guid LotId, Guid SpaceId, string Status, DateTimeOffset ChangedAt, Counts LotCounts);
