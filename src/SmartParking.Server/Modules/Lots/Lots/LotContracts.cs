using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using SmartParking.Server.Modules.Lots.Zones;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Lots.Lots;

public sealed record AddressDto(string? Street, string? City, string? PostalCode, string? Country);

public sealed record LotRequest(
    [property: Description("Admins only: the tenant the lot belongs to; operators' lots are their own tenant's.")] Guid? TenantId,
    [property: Required] string? Name,
    [property: Required, Vocabulary(typeof(LotsVocabulary), nameof(LotsVocabulary.LotKinds))] string? Kind,
    AddressDto? Address,
    [property: Required, Description("Decimal degrees (WGS 84), -90 to 90.")] double? Latitude,
    [property: Required, Description("Decimal degrees (WGS 84), -180 to 180.")] double? Longitude,
    [property: Required, Description("An IANA time zone such as Europe/Copenhagen.")] string? TimeZone,
    IReadOnlyList<OpeningHours>? OpeningHours,
    [property: Vocabulary(typeof(LotsVocabulary), nameof(LotsVocabulary.Amenities))] IReadOnlyList<string>? Amenities,
    [property: Description("Spaces by space type (standard, accessible, ev, compact, motorcycle, loading).")] IReadOnlyDictionary<string, int>? Capacity,
    [property: Required, Description("The hourly price before demand pricing, in the lot's currency, 0 to 10000 with at most 2 decimals.")] decimal? BaseHourlyRate,
    [property: Required, Description("An ISO 4217 currency code such as EUR.")] string? Currency,
    string? ExternalId);

public sealed record LotResponse(
    Guid Id,
    Guid TenantId,
    string Name,
    string Kind,
    AddressDto Address,
    double Latitude,
    double Longitude,
    string TimeZone,
    IReadOnlyList<OpeningHours> OpeningHours,
    IReadOnlyList<string> Amenities,
    IReadOnlyDictionary<string, int> Capacity,
    IReadOnlyDictionary<string, int> SpaceCounts,
    int TotalCapacity,
    decimal BaseHourlyRate,
    string Currency,
    string? ExternalId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A lot as drivers and anonymous clients see it; <see cref="ParkingRules"/> are the lot's own rules, then each zone's.</summary>
public sealed record PublicLot(
    Guid Id, string Name, string Kind, AddressDto Address, double Latitude, double Longitude, string TimeZone,
    IReadOnlyList<OpeningHours> OpeningHours, IReadOnlyList<string> Amenities, IReadOnlyDictionary<string, int> Capacity,
    int TotalCapacity, decimal BaseHourlyRate, string Currency, IReadOnlyList<ZoneRuleGroup> ParkingRules);

public sealed record NearbyLot(Guid Id, string Name, string Kind, AddressDto Address, double Latitude, double Longitude,
    int TotalCapacity, IReadOnlyDictionary<string, int> Capacity, decimal BaseHourlyRate, string Currency, double DistanceMeters);

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
