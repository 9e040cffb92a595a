namespace SmartParking.Server.Modules.Availability;

public sealed partial class AvailabilityModel
{
    /// <summary>Lots within the radius, nearest first; with a space type, counts are for that type and lots without it are left out.</summary>
    public IReadOnlyList<LotAvailability> Nearby(double lat, double lng, double radiusMeters, string? type, int limit)
    {
        var results = new List<LotAvailability>();
        foreach (var (lot, distance) in _grid.Within(lat, lng, radiusMeters))
        {
            var view = View(lot, distance, type);
            if (view is null) continue;
            results.Add(view);
            if (results.Count == limit) break;
        }
        return results;
    }

    public LotAvailability? Lot(Guid lotId) => _lots.TryGetValue(lotId, out var lot) ? View(lot, null, null) : null;

    public LotSpaces? LotWithSpaces(Guid lotId)
    {
        if (!_lots.TryGetValue(lotId, out var lot)) return null;
        List<SpaceAvailability> spaces;
        lock (_gate)
            spaces = lot.Spaces.Values
                .OrderBy(s => s.Level).ThenBy(s => s.Label.Length).ThenBy(s => s.Label, StringComparer.Ordinal)
                .Select(s => new SpaceAvailability(s.Id, s.Label, s.Type, s.Level, s.StatusName, s.Since, s.ExternalId))
                .ToList();
        return new LotSpaces(View(lot, null, null)!, spaces);
    }

    /// <summary>Lot ids within a radius, for stream filters.</summary>
    public HashSet<Guid> LotIdsNear(double lat, double lng, double radiusMeters) =>
        _grid.Within(lat, lng, radiusMeters).Select(x => x.Lot.Id).ToHashSet();

    public IReadOnlyList<LotAvailability> AllLots() => _lots.Values.Select(l => View(l, null, null)!).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();

    private static LotAvailability? View(LotEntry lot, double? distance, string? type)
    {
        var snapshot = lot.Snapshot;
        var counts = snapshot.Counts;
        if (type is not null && !snapshot.ByType.TryGetValue(type, out counts!)) return null;
        return new LotAvailability(lot.Id, lot.Name, lot.Kind, lot.Latitude, lot.Longitude, distance is null ? null : Math.Round(distance.Value, 1),
            counts, snapshot.ByType, lot.Rate, lot.Currency, snapshot.UpdatedAt, snapshot.Trend);
    }
}

public sealed partial class AvailabilityModel
{
    internal IEnumerable<System.Text.Json.Nodes.JsonObject> SpotEntities()
    {
        List<System.Text.Json.Nodes.JsonObject> result = [];
        lock (_gate)
            foreach (var lot in _lots.Values.OrderBy(l => l.Id))
                foreach (var s in lot.Spaces.Values.OrderBy(s => s.Id))
                {
                    var status = s.StatusName == "out_of_service" ? "closed" : s.StatusName;
                    result.Add(new()
                    {
                        ["id"] = Urn(s.ExternalId, "ParkingSpot", s.Id),
                        ["type"] = "ParkingSpot",
                        ["name"] = AvailabilityFeeds.Property(s.Label),
                        ["category"] = AvailabilityFeeds.Property(new System.Text.Json.Nodes.JsonArray(lot.Kind == "on_street" ? "onStreet" : "offStreet")),
                        ["location"] = AvailabilityFeeds.Point(s.Latitude ?? lot.Latitude, s.Longitude ?? lot.Longitude),
                        ["refParkingSite"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "Relationship", ["object"] = Urn(lot.ExternalId, lot.Kind == "on_street" ? "OnStreetParking" : "OffStreetParking", lot.Id) },
                        ["status"] = AvailabilityFeeds.Property(status, s.ObservedAt),
                        ["@context"] = new System.Text.Json.Nodes.JsonArray(AvailabilityFeeds.CoreContext, AvailabilityFeeds.ParkingContext),
                    });
                }
        return result;
    }

    internal IEnumerable<System.Text.Json.Nodes.JsonObject> SiteEntities(string kind, string type) =>
        _lots.Values.Where(l => l.Kind == kind).OrderBy(l => l.Id).Select(lot =>
        {
            var snap = lot.Snapshot;
            var counts = snap.Counts;
            var inService = counts.Total - counts.OutOfService;
            return new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = Urn(lot.ExternalId, type, lot.Id),
                ["type"] = type,
                ["name"] = AvailabilityFeeds.Property(lot.Name),
                ["location"] = AvailabilityFeeds.Point(lot.Latitude, lot.Longitude),
                ["totalSpotNumber"] = AvailabilityFeeds.Property(inService),
                ["availableSpotNumber"] = AvailabilityFeeds.Property(counts.Free, snap.UpdatedAt),
                ["occupiedSpotNumber"] = AvailabilityFeeds.Property(counts.Occupied),
                ["outOfServiceSlotNumber"] = AvailabilityFeeds.Property(counts.OutOfService),
                ["occupancy"] = AvailabilityFeeds.Property(inService == 0 ? 0 : Math.Round((double)counts.Occupied / inService, 2)),
                ["@context"] = new System.Text.Json.Nodes.JsonArray(AvailabilityFeeds.ParkingContext),
            };
        });

    // FIWARE ids are kept as given when they are URNs; others get an NGSI-LD URN of our id.
    private static string Urn(string? externalId, string type, Guid id) =>
        externalId is not null && externalId.StartsWith("urn:", StringComparison.Ordinal) ? externalId : $"urn:ngsi-ld:{type}:{id}";
}
