using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform;

namespace SmartParking.Server.Modules.Availability;

public sealed partial class AvailabilityModel
{
    internal sealed class LotRow
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public double Latitude { get; init; }
        public double Longitude { get; init; }
        public decimal BaseHourlyRate { get; init; }
        public string Currency { get; init; } = "";
        public string? ExternalId { get; init; }
        public string TimeZone { get; init; } = "UTC";
        public string OpeningHours { get; init; } = "[]";
        public const string Select = "select l.id, l.tenant_id, l.name, l.kind, l.latitude, l.longitude, l.base_hourly_rate, l.currency, l.external_id, l.time_zone, l.opening_hours::text as opening_hours from lots l";
    }

    internal sealed class SpaceRow
    {
        public Guid Id { get; init; }
        public Guid LotId { get; init; }
        public string Label { get; init; } = "";
        public string Type { get; init; } = "";
        public string? Level { get; init; }
        public Guid? ZoneId { get; init; }
        public bool OutOfService { get; init; }
        public string? ExternalId { get; init; }
        public double? Latitude { get; init; }
        public double? Longitude { get; init; }
        public short? Status { get; init; }
        public DateTimeOffset? ChangedAt { get; init; }
        public DateTimeOffset? ObservedAt { get; init; }
        public long? Version { get; init; }
        public const string Select = """
            select s.id, s.lot_id, s.label, s.type, s.level, s.zone_id, s.out_of_service, s.external_id, s.latitude, s.longitude, st.status, st.changed_at, st.observed_at, st.version
            from spaces s left join space_status st on st.space_id = s.id
            """;
    }

    internal sealed class StatusRow
    {
        public Guid SpaceId { get; init; }
        public Guid LotId { get; init; }
        public short Status { get; init; }
        public DateTimeOffset ObservedAt { get; init; }
        public DateTimeOffset ChangedAt { get; init; }
        public long Version { get; init; }
    }

    internal sealed class SpaceEntry(SpaceRow row)
    {
        public Guid Id { get; } = row.Id;
        public Guid LotId { get; } = row.LotId;
        public string Label { get; } = row.Label;
        public string Type { get; } = row.Type;
        public string? Level { get; } = row.Level;
        public Guid? ZoneId { get; } = row.ZoneId;
        public string? ExternalId { get; } = row.ExternalId;
        public double? Latitude { get; } = row.Latitude;
        public double? Longitude { get; } = row.Longitude;
        public bool OutOfService { get; } = row.OutOfService;
        public SpaceStatus Status { get; private set; } = row.Status is { } s ? (SpaceStatus)s : SpaceStatus.Unknown;
        public DateTimeOffset? Since { get; private set; } = row.ChangedAt;
        public DateTimeOffset? ObservedAt { get; private set; } = row.ObservedAt;

        /// <summary>The last report (reading or heartbeat) and the reporting rule, from the Sensors module; 0 s until known.</summary>
        public DateTimeOffset? HeardAt { get; private set; } = row.ObservedAt;
        public int ExpectedSeconds { get; private set; }
        public int OverdueSeconds { get; private set; }

        /// <summary>Held for a reservation right now.</summary>
        public bool Reserved { get; set; }

        /// <summary>A reservation shows while the space is free (or its sensor silent); a car in it is still a car in it.</summary>
        public bool ShowsReserved => Reserved && Status is SpaceStatus.Free or SpaceStatus.Unknown;

        public void Apply(short status, DateTimeOffset changedAt, DateTimeOffset observedAt)
        {
            Status = (SpaceStatus)status;
            Since = changedAt;
            ObservedAt = observedAt;
            if (HeardAt is null || observedAt > HeardAt) HeardAt = observedAt;
        }

        public void Apply(SpaceReport report)
        {
            if (report.HeardAt is { } heard && (HeardAt is null || heard > HeardAt)) HeardAt = heard;
            ExpectedSeconds = report.ExpectedSeconds;
            OverdueSeconds = report.OverdueSeconds;
        }

        /// <summary>The last report, its age and the confidence in the status now: computed at read time, nothing ticks per space.</summary>
        public (DateTimeOffset? ObservedAt, int? AgeSeconds, double? Confidence) Freshness(DateTimeOffset now)
        {
            if (HeardAt is not { } heard) return (null, null, null);
            var age = now > heard ? now - heard : TimeSpan.Zero;
            var known = Status != SpaceStatus.Unknown && ExpectedSeconds > 0;
            return (heard, (int)age.TotalSeconds, known ? SensorReporting.Confidence(age, ExpectedSeconds, OverdueSeconds) : null);
        }

        /// <summary>What drivers see: an operator's out-of-service flag wins over the sensor.</summary>
        public string StatusName => OutOfService || Status == SpaceStatus.Closed ? "out_of_service" : ShowsReserved ? "reserved" : Status.Name();
    }

    internal sealed class LotSnapshot(Counts counts, IReadOnlyDictionary<string, Counts> byType, DateTimeOffset? updatedAt, string trend)
    {
        private LotJson?[]? _json;

        public Counts Counts { get; } = counts;
        public IReadOnlyDictionary<string, Counts> ByType { get; } = byType;
        public DateTimeOffset? UpdatedAt { get; } = updatedAt;
        public string Trend { get; } = trend;

        /// <summary>
        /// This lot's nearby-answer JSON in one shape (type filter, byType), built on first use and kept with the
        /// snapshot: a snapshot never changes, it is replaced, so the cache can never be stale.
        /// </summary>
        public LotJson Json(LotEntry lot, int shape, string? type, bool byType, System.Text.Json.JsonSerializerOptions options)
        {
            var slots = Volatile.Read(ref _json) ?? Interlocked.CompareExchange(ref _json, new LotJson?[LotJson.Shapes], null) ?? _json;
            // Two threads may both build it; they build the same bytes, so whichever lands is fine.
            return slots[shape] ??= LotJson.Build(View(lot, this, 0, type, byType), options);
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions HoursJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    internal sealed class LotEntry(LotRow row)
    {
        private readonly Queue<(DateTimeOffset At, int Occupied)> _history = new();
        private DateTimeOffset _lastSample;

        public Guid Id { get; } = row.Id;
        public Guid TenantId { get; } = row.TenantId;
        public string Name { get; } = row.Name;
        public string Kind { get; } = row.Kind;
        public double Latitude { get; } = row.Latitude;
        public double Longitude { get; } = row.Longitude;
        /// <summary>The price per hour now: the base rate until the pricing scheduler has set one.</summary>
        public decimal BaseHourlyRate { get; } = row.BaseHourlyRate;
        public UnitPrice Price { get; set; } = new(row.BaseHourlyRate);
        public string Currency { get; } = row.Currency.Trim();
        public string? ExternalId { get; } = row.ExternalId;
        /// <summary>The lot's facts, for its opening hours: the feeds say whether it is open now.</summary>
        public Modules.Lots.LotFacts Facts { get; } = new(row.Id, row.TenantId, row.Name, row.Kind, row.TimeZone,
            System.Text.Json.JsonSerializer.Deserialize<List<Modules.Lots.OpeningHours>>(row.OpeningHours, HoursJson) ?? [],
            row.BaseHourlyRate, row.Currency.Trim(), row.Latitude, row.Longitude);
        public Dictionary<Guid, SpaceEntry> Spaces { get; } = [];

        /// <summary>Replaced whole on every change, so readers never see a half-updated lot without locking.</summary>
        public LotSnapshot Snapshot { get; private set; } = new(Counts.Empty, new Dictionary<string, Counts>(), null, "steady");

        public void Recount(DateTimeOffset now)
        {
            var byType = new Dictionary<string, int[]>();
            DateTimeOffset? updated = null;
            foreach (var s in Spaces.Values)
            {
                if (!byType.TryGetValue(s.Type, out var c)) byType[s.Type] = c = new int[5];
                c[Bucket(s)]++;
                if (s.ObservedAt is { } at && (updated is null || at > updated)) updated = at;
            }
            var total = new int[5];
            foreach (var c in byType.Values) for (var i = 0; i < 5; i++) total[i] += c[i];
            var counts = ToCounts(total);
            Snapshot = new LotSnapshot(counts, byType.ToDictionary(kv => kv.Key, kv => ToCounts(kv.Value)), updated, Trend(now, counts));
        }

        public Counts CountsWhere(Func<SpaceEntry, bool> include)
        {
            var c = new int[5];
            foreach (var s in Spaces.Values) if (include(s)) c[Bucket(s)]++;
            return ToCounts(c);
        }

        // Filling or emptying: occupied now against about ten minutes ago.
        private string Trend(DateTimeOffset now, Counts counts)
        {
            // One sample per 30 s is plenty for a ten-minute comparison and keeps the history small at any ingest rate.
            if (_history.Count == 0 || now - _lastSample >= TimeSpan.FromSeconds(30))
            {
                _history.Enqueue((now, counts.Occupied));
                _lastSample = now;
            }
            while (_history.Count > 1 && now - _history.Peek().At > TimeSpan.FromMinutes(15)) _history.Dequeue();
            var (_, before) = _history.Peek();
            var threshold = Math.Max(1, counts.Total / 50);
            return counts.Occupied - before >= threshold ? "filling" : before - counts.Occupied >= threshold ? "emptying" : "steady";
        }

        private static int Bucket(SpaceEntry s) => s.OutOfService || s.Status == SpaceStatus.Closed ? 4 : s.ShowsReserved ? 2 : s.Status switch
        {
            SpaceStatus.Free => 0,
            SpaceStatus.Occupied => 1,
            _ => 3,
        };

        private static Counts ToCounts(int[] c) => new(c[0], c[1], c[2], c[3], c[4]);
    }

    /// <summary>Lots bucketed by ~1 km cells so a radius query looks at a few cells, not every lot.</summary>
    internal sealed class SpatialGrid
    {
        private const double Cell = 0.01;
        private readonly Dictionary<(int, int), List<LotEntry>> _cells = [];

        public SpatialGrid(IEnumerable<LotEntry> lots)
        {
            foreach (var lot in lots)
            {
                var key = Key(lot.Latitude, lot.Longitude);
                if (!_cells.TryGetValue(key, out var list)) _cells[key] = list = [];
                list.Add(lot);
            }
        }

        /// <summary>Fills <paramref name="found"/> (cleared first) with the lots within the radius, nearest first.</summary>
        public void Within(double lat, double lng, double radiusMeters, List<(LotEntry Lot, double Distance)> found)
        {
            found.Clear();
            var (minLat, minLng, maxLat, maxLng, _) = CellsAround(lat, lng, radiusMeters);
            for (var y = minLat; y <= maxLat; y++)
                for (var x = minLng; x <= maxLng; x++)
                {
                    if (!_cells.TryGetValue((y, x), out var list)) continue;
                    foreach (var lot in list)
                    {
                        var d = Geo.DistanceMeters(lat, lng, lot.Latitude, lot.Longitude);
                        if (d <= radiusMeters) found.Add((lot, d));
                    }
                }
            // Lots at the same distance in a fixed order, so pages of a nearby answer neither repeat nor miss one.
            found.Sort(ByDistance);
        }

        /// <summary>Past this many cells in the radius's box, <see cref="Nearest"/> looks at every lot in it as <see cref="Within"/> does.</summary>
        private const int MaxOrderedCells = 4096;

        /// <summary>
        /// Fills <paramref name="found"/> (cleared first) with the <paramref name="count"/> nearest lots within the radius that
        /// <paramref name="matches"/> accepts, nearest first (ties by id, as <see cref="Within"/>). Cells are visited nearest
        /// first and the walk stops once no lot in the next cell could be nearer than the last of those kept, so a wide
        /// radius in a dense city costs what a narrow one does.
        /// </summary>
        public void Nearest(double lat, double lng, double radiusMeters, Func<LotEntry, bool>? matches, int count, List<(LotEntry Lot, double Distance)> found)
        {
            found.Clear();
            if (count <= 0) return;
            var (minLat, minLng, maxLat, maxLng, cosLat) = CellsAround(lat, lng, radiusMeters);
            if ((long)(maxLat - minLat + 1) * (maxLng - minLng + 1) > MaxOrderedCells)
            {
                Within(lat, lng, radiusMeters, found);
                if (matches is not null) found.RemoveAll(f => !matches(f.Lot));
                if (found.Count > count) found.RemoveRange(count, found.Count - count);
                return;
            }
            var cells = t_cells ??= [];
            cells.Clear();
            for (var y = minLat; y <= maxLat; y++)
                for (var x = minLng; x <= maxLng; x++)
                {
                    if (!_cells.ContainsKey((y, x))) continue;
                    // How near the cell's edge is to the point; shaded by 1 % so the flat-earth figure never exceeds the true one.
                    var north = Math.Max(0, Math.Max(y * Cell - lat, lat - (y + 1) * Cell));
                    var east = Math.Max(0, Math.Max(x * Cell - lng, lng - (x + 1) * Cell));
                    var nearest = Math.Sqrt(north * north + east * cosLat * (east * cosLat)) * 111_320.0 * 0.99;
                    if (nearest <= radiusMeters) cells.Add(((y, x), nearest));
                }
            cells.Sort(static (a, b) => a.Nearest.CompareTo(b.Nearest));
            foreach (var (key, nearest) in cells)
            {
                if (found.Count >= count)
                {
                    found.Sort(ByDistance);
                    found.RemoveRange(count, found.Count - count);
                    if (found[^1].Distance < nearest) break;
                }
                foreach (var lot in _cells[key])
                {
                    var d = Geo.DistanceMeters(lat, lng, lot.Latitude, lot.Longitude);
                    if (d <= radiusMeters && (matches is null || matches(lot))) found.Add((lot, d));
                }
            }
            found.Sort(ByDistance);
            if (found.Count > count) found.RemoveRange(count, found.Count - count);
            cells.Clear();
        }

        private static readonly Comparison<(LotEntry Lot, double Distance)> ByDistance =
            static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Lot.Id.CompareTo(b.Lot.Id);

        [ThreadStatic] private static List<((int, int) Key, double Nearest)>? t_cells;

        /// <summary>The cells of the box around the radius, and the cosine of the latitude that narrows a degree of longitude.</summary>
        private static (int MinLat, int MinLng, int MaxLat, int MaxLng, double CosLat) CellsAround(double lat, double lng, double radiusMeters)
        {
            var dLat = radiusMeters / 111_320.0;
            var cosLat = Math.Max(0.01, Math.Cos(lat * Math.PI / 180));
            var dLng = dLat / cosLat;
            var (minLat, minLng) = Key(lat - dLat, lng - dLng);
            var (maxLat, maxLng) = Key(lat + dLat, lng + dLng);
            return (minLat, minLng, maxLat, maxLng, cosLat);
        }

        private static (int, int) Key(double lat, double lng) => ((int)Math.Floor(lat / Cell), (int)Math.Floor(lng / Cell));
    }
}
