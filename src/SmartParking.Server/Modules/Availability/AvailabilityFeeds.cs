using System.Text.Json.Nodes;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Availability;

/// <summary>
/// Feeds other systems already read: FIWARE NGSI-LD entities (ParkingSpot, OffStreetParking, OnStreetParking) in the
/// normalized form of the Smart Data Models examples, and a ParkAPI-style city feed.
/// </summary>
public static class AvailabilityFeeds
{
    public const string ParkingContext = "https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld";
    public const string CoreContext = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld";

    public static void MapAvailabilityFeeds(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ngsi-ld/v1/entities", Entities).WithTags("FIWARE");
        app.MapGet("/api/v1/feeds/parkapi", ParkApi).WithTags("Feeds");
    }

    /// <summary>A page of entities; the total and the next page are in the headers, as for the other availability lists.</summary>
    private static IResult Entities(HttpContext http, AvailabilityModel model, string? type, int? limit, int? offset)
    {
        var window = ResultWindow.From(limit, offset, defaultLimit: 20, maxLimit: 1000,
            new Validation().OneOf(type, "type", ["ParkingSpot", "OffStreetParking", "OnStreetParking"]));
        var entities = (type == "ParkingSpot" ? model.SpotEntities() : model.SiteEntities(type == "OnStreetParking" ? "on_street" : "off_street", type!)).ToList();
        var page = entities.Skip(window.Offset).Take(window.Limit).ToList();
        window.Announce(http, entities.Count, page.Count);
        var array = new JsonArray([.. page]);
        return TypedResults.Text(array.ToJsonString(), "application/ld+json");
    }

    /// <summary>Every lot, or one tenant's (<c>tenantId</c>) and/or those in an area (<c>lat</c>, <c>lng</c>, <c>radius</c> in metres, 1000 by default).</summary>
    private static object ParkApi(AvailabilityModel model, TimeProvider time, Guid? tenantId, double? lat, double? lng, double? radius)
    {
        // Any of the three asks for an area, which then needs both coordinates.
        var area = lat is not null || lng is not null || radius is not null;
        if (area) AvailabilityEndpoints.ValidateArea(lat, lng, radius, required: true);
        var near = area ? model.LotIdsNear(lat!.Value, lng!.Value, radius ?? 1000) : null;
        var now = time.GetUtcNow();
        var lots = model.FeedLots(now, tenantId, near);
        return new
        {
            last_downloaded = now,
            last_updated = lots.Max(x => x.Lot.UpdatedAt),
            lots = lots.Select(x => new
            {
                id = x.Lot.LotId,
                name = x.Lot.Name,
                lot_type = x.Lot.Kind == "on_street" ? "street" : "garage",
                coords = new { lat = x.Lot.Latitude, lng = x.Lot.Longitude },
                total = x.Lot.Counts.Total - x.Lot.Counts.OutOfService,
                free = x.Lot.Counts.Free,
                // Closed by its opening hours (in the lot's own zone) whatever the sensors read; no hours means always open.
                state = !x.Open ? "closed" : x.Lot.Counts.Free + x.Lot.Counts.Occupied == 0 ? "nodata" : "open",
                forecast = false,
            }),
        };
    }

    internal static JsonObject Property(JsonNode? value, DateTimeOffset? observedAt = null)
    {
        var p = new JsonObject { ["type"] = "Property", ["value"] = value };
        if (observedAt is { } at) p["observedAt"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        return p;
    }

    internal static JsonObject Point(double lat, double lng) => new()
    {
        ["type"] = "GeoProperty",
        ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lng, lat) },
    };
}
