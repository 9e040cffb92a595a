using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Lots.Import;

// What FiwareImport reads of an entity, as the OpenAPI document describes it (key-values form; in the normalized form
// each attribute is {"type": "Property", "value": …} and a relationship {"type": "Relationship", "object": …}).

[Description("A FIWARE Smart Data Models parking entity: sites become lots, spots become spaces, matched again by id.")]
public sealed record FiwareImportEntity(
    [property: Required, Description("The FIWARE id, kept as the lot's or space's externalId so a re-import updates it.")] string Id,
    [property: Required, Vocabulary("OffStreetParking", "OnStreetParking", "ParkingSpot")] string Type,
    [property: Required] GeoPoint Location,
    [property: Description("The lot's or space's name (spaces: first 40 characters); left out, the end of the id.")] string? Name,
    [property: Description("Sites: the spaces the lot has (standard ones, less twoWheelerSlots).")] int? TotalSpotNumber,
    [property: Description("Sites: motorcycle spaces, as {\"totalSpotNumber\": n}.")] FiwareSlots? TwoWheelerSlots,
    [property: Description("Sites: onStreet, underground (covered), guarded (security). Spots: forDisabled (accessible), forElectricalCharging (ev), forLoadUnload (loading), forMotorcycles (motorcycle); otherwise standard.")] IReadOnlyList<string>? Category,
    [property: Description("Sites: multiLevel makes the lot covered.")] IReadOnlyList<string>? Layout,
    [property: Description("Sites: the lot's postal address.")] FiwareAddress? Address,
    [property: Description("Spots: the id of the site the spot belongs to; a site not yet known gets a lot at the spot's location.")] string? RefParkingSite,
    [property: Description("Spots: closed puts the space out of service.")] string? Status);

[Description("A GeoJSON Point.")]
public sealed record GeoPoint(
    [property: Required, Vocabulary("Point")] string Type,
    [property: Required, Description("[longitude, latitude] in decimal degrees (WGS 84).")] IReadOnlyList<double> Coordinates);

public sealed record FiwareSlots([property: Required] int TotalSpotNumber);

public sealed record FiwareAddress(string? StreetAddress, string? AddressLocality, string? PostalCode, string? AddressCountry);
