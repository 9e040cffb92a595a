using System.Text.Json;
using SmartParking.Server.Modules.Lots.Zones;

namespace SmartParking.Server.Modules.Lots.Lots;

/// <summary>A row of <c>lots</c> plus space counts by type.</summary>
public sealed class LotRow
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string? StreetAddress { get; init; }
    public string? City { get; init; }
    public string? PostalCode { get; init; }
    public string? Country { get; init; }
    public double Latitude { get; init; }
    public double Longitude { get; init; }
    public string TimeZone { get; init; } = "";
    public string OpeningHours { get; init; } = "[]";
    public string[] Amenities { get; init; } = [];
    public string Capacity { get; init; } = "{}";
    public string? SpaceCounts { get; init; }
    public decimal BaseHourlyRate { get; init; }
    public string Currency { get; init; } = "";
    public string? ExternalId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public double DistanceMeters { get; init; }
    public string? ParkingRules { get; init; }

    public static readonly string Select = $"""
        select l.id, l.tenant_id, l.name, l.kind, l.street_address, l.city, l.postal_code, l.country, l.latitude, l.longitude, l.time_zone,
               l.opening_hours::text as opening_hours, l.amenities, l.capacity::text as capacity, l.base_hourly_rate, l.currency, l.external_id,
               l.created_at, l.updated_at,
               (select jsonb_object_agg(type, n)::text from (select type, count(*) n from spaces s where s.lot_id = l.id group by type) c) as space_counts,
               {ZoneRuleRow.JsonOfLot} as parking_rules
        from lots l
        """;

    private IReadOnlyDictionary<string, int> DeclaredCapacity => JsonSerializer.Deserialize<Dictionary<string, int>>(Capacity, Json) ?? [];
    private IReadOnlyDictionary<string, int> CountedSpaces => SpaceCounts is null ? new Dictionary<string, int>() : JsonSerializer.Deserialize<Dictionary<string, int>>(SpaceCounts, Json)!;
    private IReadOnlyList<OpeningHours> Hours => JsonSerializer.Deserialize<List<OpeningHours>>(OpeningHours, Json) ?? [];
    private AddressDto Address => new(StreetAddress, City, PostalCode, Country);

    /// <summary>Capacity by type: what the operator declared, or else what the mapped spaces add up to.</summary>
    public IReadOnlyDictionary<string, int> EffectiveCapacity => DeclaredCapacity.Count > 0 ? DeclaredCapacity : CountedSpaces;

    public LotResponse ToResponse() => new(Id, TenantId, Name, Kind, Address, Latitude, Longitude, TimeZone, Hours, Amenities,
        DeclaredCapacity, CountedSpaces, EffectiveCapacity.Values.Sum(), BaseHourlyRate, Currency.Trim(), ExternalId, CreatedAt, UpdatedAt);

    public PublicLot ToPublic() => new(Id, Name, Kind, Address, Latitude, Longitude, TimeZone, Hours, Amenities, EffectiveCapacity,
        EffectiveCapacity.Values.Sum(), BaseHourlyRate, Currency.Trim(),
        ParkingRules is null ? [] : ZoneRuleRow.Groups(JsonSerializer.Deserialize<List<ZoneRuleRow>>(ParkingRules, Json)!));

    public NearbyLot ToNearby() => new(Id, Name, Kind, Address, Latitude, Longitude, EffectiveCapacity.Values.Sum(), EffectiveCapacity,
        BaseHourlyRate, Currency.Trim(), Math.Round(DistanceMeters, 1));
}
