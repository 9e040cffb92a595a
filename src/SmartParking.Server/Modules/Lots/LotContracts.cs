using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Lots;

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
