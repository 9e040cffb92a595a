namespace SmartParking.Server.Modules.Availability;

public sealed partial class AvailabilityModel
{
    /// <summary>One lot of a nearby answer, with the snapshot the query read, so the lot is written as of one moment.</summary>
    internal readonly record struct NearbyLot(LotEntry Lot, LotSnapshot Snapshot, double DistanceMeters);

    /// <summary>
    /// Lots within the radius, nearest first, from the <paramref name="offset"/>th on; with a space type, lots without it
    /// are left out. <paramref name="total"/> is how many matched in all.
    /// </summary>
    internal List<NearbyLot> Nearby(double lat, double lng, double radiusMeters, string? type, int offset, int limit, out int total)
    {
        // One candidate list per thread, reused: a 1 km query looks at a few hundred lots, and growing a fresh list for
        // them was most of what a request allocated. The call is synchronous, so no other request shares it meanwhile.
        var found = t_found ??= [];
        _grid.Within(lat, lng, radiusMeters, found);
        // Without a type every candidate matches, so only the window's lots are looked at.
        var skip = type is null ? Math.Min(offset, found.Count) : 0;
        var results = new List<NearbyLot>(Math.Clamp(found.Count - offset, 0, limit));
        total = skip;
        for (var i = skip; i < found.Count; i++)
        {
            var (lot, distance) = found[i];
            var snapshot = lot.Snapshot;
            if (type is not null && !snapshot.ByType.ContainsKey(type)) continue;
            if (total++ < offset) continue;
            if (results.Count < limit) results.Add(new NearbyLot(lot, snapshot, Math.Round(distance, 1)));
            else if (type is null) { total = found.Count; break; }
        }
        // Not kept alive by the buffer after a reload replaced them.
        found.Clear();
        return results;
    }

    /// <summary>Lots within the radius, nearest first, as the API shows them (with a type, that type's counts and price).</summary>
    public IReadOnlyList<LotAvailability> NearbyLots(double lat, double lng, double radiusMeters, string? type, int limit)
    {
        var found = t_found ??= [];
        _grid.Nearest(lat, lng, radiusMeters, type is null ? null : lot => lot.Snapshot.ByType.ContainsKey(type), limit, found);
        var results = new List<LotAvailability>(found.Count);
        foreach (var (lot, distance) in found)
        {
            // Read once: the type checked is the one shown, even if the lot's snapshot changed since it was picked.
            var snapshot = lot.Snapshot;
            if (type is null || snapshot.ByType.ContainsKey(type)) results.Add(View(lot, snapshot, Math.Round(distance, 1), type, byType: false));
        }
        found.Clear();
        return results;
    }

    [ThreadStatic] private static List<(LotEntry Lot, double Distance)>? t_found;

    public LotAvailability? Lot(Guid lotId) => _lots.TryGetValue(lotId, out var lot) ? View(lot, lot.Snapshot, null, null, byType: true) : null;

    public LotSpaces? LotWithSpaces(Guid lotId)
    {
        if (!_lots.TryGetValue(lotId, out var lot)) return null;
        List<SpaceAvailability> spaces;
        var now = _time.GetUtcNow();
        lock (_gate)
            spaces = lot.Spaces.Values
                .OrderBy(s => s.Level).ThenBy(s => s.Label.Length).ThenBy(s => s.Label, StringComparer.Ordinal)
                .Select(s =>
                {
                    var (observedAt, age, confidence) = s.Freshness(now);
                    return new SpaceAvailability(s.Id, s.Label, s.Type, s.Level, s.StatusName, s.Since, s.ExternalId, observedAt, age, confidence, OwnRate(lot, s));
                })
                .ToList();
        return new LotSpaces(View(lot, lot.Snapshot, null, null, byType: true), spaces, spaces.Count(s => s.Confidence < 1));
    }

    /// <summary>Lot ids within a radius, for stream filters.</summary>
    public HashSet<Guid> LotIdsNear(double lat, double lng, double radiusMeters)
    {
        var found = new List<(LotEntry Lot, double Distance)>();
        _grid.Within(lat, lng, radiusMeters, found);
        return found.Select(x => x.Lot.Id).ToHashSet();
    }

    /// <summary>A tenant's lots as they are now (every lot for null), by name, for the operator overview.</summary>
    public IReadOnlyList<LotAvailability> LotsOf(Guid? tenant) =>
        _lots.Values.Where(l => tenant is null || l.TenantId == tenant).Select(l => View(l, l.Snapshot, null, null, byType: false))
            .OrderBy(l => l.Name, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Lots by name (a tenant's for a tenant, those among <paramref name="only"/> when given), each with whether its opening
    /// hours have it open at the instant given: the city feed.
    /// </summary>
    internal IReadOnlyList<(LotAvailability Lot, bool Open)> FeedLots(DateTimeOffset now, Guid? tenant, HashSet<Guid>? only) =>
        _lots.Values.Where(l => (tenant is null || l.TenantId == tenant) && (only is null || only.Contains(l.Id)))
            .Select(l => (Lot: View(l, l.Snapshot, null, null, byType: true), Open: l.Facts.IsOpenAt(now))).OrderBy(x => x.Lot.Name, StringComparer.Ordinal).ToList();

    public IReadOnlyList<LotAvailability> AllLots() => _lots.Values.Select(l => View(l, l.Snapshot, null, null, byType: true)).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();

    /// <summary>A lot as the API shows it; with a space type, the counts are that type's (the lot must have it).</summary>
    private static LotAvailability View(LotEntry lot, LotSnapshot snapshot, double? distance, string? type, bool byType) =>
        new(lot.Id, lot.Name, lot.Kind, lot.Latitude, lot.Longitude, distance,
            type is null ? snapshot.Counts : snapshot.ByType[type], byType ? snapshot.ByType : null, lot.Price.RateFor(type), lot.Currency, snapshot.UpdatedAt, snapshot.Trend);
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
                        // Observed when last reported: a change-only sensor's heartbeat confirms the status it last sent.
                        ["status"] = AvailabilityFeeds.Property(status, s.HeardAt),
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
