using System.Threading.Channels;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Availability;

/// <summary>
/// Live availability of every lot and space, in memory on every node. Loaded from PostgreSQL at start and kept
/// current by the change feed: each committed status change bumps space_status.version and notifies; every node
/// (this one included) then reads the changes after the last version it has seen, so all nodes converge.
/// </summary>
public sealed partial class AvailabilityModel : IEventHandler<Lots.LotCatalogChanged>, IEventHandler<Sensors.SensorPolicyChanged>
{
    private readonly NpgsqlDataSource _db;
    private readonly TimeProvider _time;
    private readonly SensorReporting _reporting;
    private readonly ILogger<AvailabilityModel> _logger;
    private readonly SemaphoreSlim _refresh = new(1, 1);

    /// <summary>Spaces whose reports a refresh reads per slice.</summary>
    private const int ReportsPerSlice = 5_000;
    private readonly object _gate = new();
    private Dictionary<Guid, LotEntry> _lots = [];
    private readonly Dictionary<Guid, SpaceEntry> _spaces = [];
    private SpatialGrid _grid = new([]);
    private long _version;
    private HashSet<Guid> _reserved = [];
    private readonly Dictionary<Guid, UnitPrice> _prices = [];
    private readonly List<Channel<AvailabilityChange>> _subscribers = [];
    private int _pendingRefresh;

    /// <summary>When the last read of reports (the full load or a refresh) began: the next refresh looks for reports after it.</summary>
    private DateTimeOffset? _reportsReadAt;

    public AvailabilityModel(NpgsqlDataSource db, PostgresNotifications notifications, TimeProvider time, SensorReporting reporting, ILogger<AvailabilityModel> logger)
    {
        _db = db;
        _time = time;
        _reporting = reporting;
        _logger = logger;
        notifications.Subscribe(PostgresNotifications.SpaceStatusChannel, _ => RequestRefresh());
        notifications.OnResync(() => _ = LoadSafeAsync());
    }

    public long Version => Interlocked.Read(ref _version);
    public bool Loaded { get; private set; }

    /// <summary>Loads everything; called at start after the change feed listens, so nothing falls between.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var readAt = _time.GetUtcNow();
        await using var connection = await _db.OpenConnectionAsync(ct);
        var lots = (await connection.QueryAsync<LotRow>(new CommandDefinition(LotRow.Select, cancellationToken: ct))).ToList();
        var spaces = (await connection.QueryAsync<SpaceRow>(new CommandDefinition(SpaceRow.Select, cancellationToken: ct))).ToList();
        var reports = await _reporting.SpaceReportsAsync(connection, null, null, ct);
        lock (_gate)
        {
            var loaded = lots.ToDictionary(l => l.Id, l => new LotEntry(l) { Price = _prices.GetValueOrDefault(l.Id) ?? new UnitPrice(l.BaseHourlyRate) });
            _spaces.Clear();
            long version = 0;
            foreach (var s in spaces)
            {
                if (!loaded.TryGetValue(s.LotId, out var lot)) continue;
                var entry = new SpaceEntry(s) { Reserved = _reserved.Contains(s.Id) };
                _spaces[s.Id] = entry;
                lot.Spaces[s.Id] = entry;
                version = Math.Max(version, s.Version ?? 0);
            }
            ApplyReports(reports);
            foreach (var lot in loaded.Values) lot.Recount(_time.GetUtcNow());
            // Published whole, so requests never see a half-loaded lot.
            _grid = new SpatialGrid(loaded.Values);
            _lots = loaded;
            if (_reportsReadAt is null || readAt > _reportsReadAt) _reportsReadAt = readAt;
            Interlocked.Exchange(ref _version, Math.Max(version, Version));
            Loaded = true;
        }
        _logger.LogInformation("Availability loaded: {Lots} lots, {Spaces} spaces, version {Version}", lots.Count, spaces.Count, Version);
        await RefreshAsync(ct);
    }

    /// <summary>Coalesces notification bursts into one query at a time.</summary>
    private void RequestRefresh()
    {
        if (Interlocked.Exchange(ref _pendingRefresh, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                while (Interlocked.Exchange(ref _pendingRefresh, 0) == 1) await RefreshAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                _logger.LogWarning("Availability refresh failed: {Error}", e.Message);
            }
        });
    }

    /// <summary>Applies every status change after the last version this node has seen.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            await using var connection = await _db.OpenConnectionAsync(ct);
            var changes = (await connection.QueryAsync<StatusRow>(new CommandDefinition(
                "select space_id, lot_id, status, observed_at, changed_at, version from space_status where version > @v order by version",
                new { v = Version }, cancellationToken: ct))).ToList();
            if (changes.Count == 0) return;
            var published = new List<AvailabilityChange>(changes.Count);
            lock (_gate)
            {
                var touched = new HashSet<LotEntry>();
                foreach (var c in changes)
                {
                    if (!_spaces.TryGetValue(c.SpaceId, out var space) || !_lots.TryGetValue(space.LotId, out var lot)) continue;
                    space.Apply(c.Status, c.ChangedAt, c.ObservedAt);
                    touched.Add(lot);
                }
                var now = _time.GetUtcNow();
                foreach (var lot in touched) lot.Recount(now);
                foreach (var c in changes)
                    if (_spaces.TryGetValue(c.SpaceId, out var space) && _lots.TryGetValue(space.LotId, out var lot))
                    {
                        var (observedAt, _, confidence) = space.Freshness(now);
                        published.Add(new AvailabilityChange(c.Version, lot.Id, space.Id, space.StatusName, c.ChangedAt, lot.Snapshot.Counts, observedAt, confidence));
                    }
                Interlocked.Exchange(ref _version, changes[^1].Version);
            }
            Publish(published);
        }
        finally { _refresh.Release(); }
    }

    /// <summary>
    /// Takes in the reports (readings and heartbeats) heard since the last call: a report that does not change a space's
    /// status takes no version, so the change feed does not carry it. Run every <see cref="SensorReporting.HeardPrecision"/>.
    /// </summary>
    /// <returns>How many reports were read.</returns>
    public async Task<int> RefreshReportsAsync(CancellationToken ct)
    {
        // Looks back a minute before the last read began: a report received before that read may commit after it. Not
        // from the latest report heard: when every sensor goes quiet (change-only sensors at night, a gateway down) that
        // would read the last minute's reports every round.
        var now = _time.GetUtcNow();
        DateTimeOffset? lastRead;
        lock (_gate) lastRead = _reportsReadAt;
        var since = lastRead is { } last ? (last < now ? last : now).AddMinutes(-1) : (DateTimeOffset?)null;
        var read = 0;
        await using var connection = await _db.OpenConnectionAsync(ct);
        // A slice of the spaces at a time (each an index range, paced): the look-up costs the whole table's rows
        // whatever it finds, and in one go holds a core of PostgreSQL long enough to stall requests.
        await SensorReporting.ForEachSpaceSliceAsync(connection, ReportsPerSlice, async (slice, token) =>
        {
            await _refresh.WaitAsync(token);
            try
            {
                var reports = await _reporting.SpaceReportsAsync(connection, null, since, token, slice);
                lock (_gate) ApplyReports(reports);
                read += reports.Count;
            }
            finally { _refresh.Release(); }
        }, ct);
        // Never moved back by a slower refresh that began earlier: each has read everything committed before it began.
        lock (_gate) if (_reportsReadAt is null || now > _reportsReadAt) _reportsReadAt = now;
        return read;
    }

    private void ApplyReports(IReadOnlyList<SpaceReport> reports)
    {
        foreach (var report in reports)
            if (_spaces.TryGetValue(report.SpaceId, out var space)) space.Apply(report);
    }

    /// <summary>A space's last report and confidence now, for stream replays; nulls for a space this node does not know.</summary>
    internal (DateTimeOffset? ObservedAt, double? Confidence) Freshness(Guid spaceId)
    {
        lock (_gate)
        {
            if (!_spaces.TryGetValue(spaceId, out var space)) return (null, null);
            var (observedAt, _, confidence) = space.Freshness(_time.GetUtcNow());
            return (observedAt, confidence);
        }
    }

    /// <summary>A lot's catalogue (spaces, sensors) changed on some node: reload it here.</summary>
    public Task HandleAsync(Lots.LotCatalogChanged domainEvent, EventEnvelope envelope, CancellationToken ct) => ReloadLotSafeAsync(domainEvent.LotId);

    /// <summary>Its sensors' reporting interval changed: reload it, so the confidence shown follows the new interval.</summary>
    public Task HandleAsync(Sensors.SensorPolicyChanged domainEvent, EventEnvelope envelope, CancellationToken ct) => ReloadLotSafeAsync(domainEvent.LotId);

    private async Task ReloadLotSafeAsync(Guid lotId)
    {
        try { await ReloadLotAsync(lotId, CancellationToken.None); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            _logger.LogWarning("Reloading lot {LotId} failed: {Error}", lotId, e.Message);
        }
    }

    private async Task LoadSafeAsync()
    {
        try { await LoadAsync(CancellationToken.None); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            _logger.LogWarning("Availability reload failed: {Error}", e.Message);
        }
    }

    /// <summary>A lot or its spaces changed in the catalogue: reload just that lot.</summary>
    public async Task ReloadLotAsync(Guid lotId, CancellationToken ct)
    {
        // Serialised with refreshes: otherwise a reload that read the lot before a change committed could be saved
        // after the refresh applied that change, and the space would show its old state until it changed again.
        await _refresh.WaitAsync(ct);
        try { await ReloadLotLockedAsync(lotId, ct); }
        finally { _refresh.Release(); }
    }

    private async Task ReloadLotLockedAsync(Guid lotId, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        var lot = await connection.QuerySingleOrDefaultAsync<LotRow>(new CommandDefinition(LotRow.Select + " where l.id = @lotId", new { lotId }, cancellationToken: ct));
        var spaces = lot is null ? [] : (await connection.QueryAsync<SpaceRow>(new CommandDefinition(SpaceRow.Select + " where s.lot_id = @lotId", new { lotId }, cancellationToken: ct))).ToList();
        var reports = lot is null ? [] : await _reporting.SpaceReportsAsync(connection, lotId, null, ct);
        lock (_gate)
        {
            // Copy on write: request threads read _lots and _grid without the lock.
            var lots = new Dictionary<Guid, LotEntry>(_lots);
            if (lots.Remove(lotId, out var old))
                foreach (var id in old.Spaces.Keys) _spaces.Remove(id);
            if (lot is not null)
            {
                var entry = new LotEntry(lot) { Price = _prices.GetValueOrDefault(lot.Id) ?? new UnitPrice(lot.BaseHourlyRate) };
                foreach (var s in spaces)
                {
                    var space = new SpaceEntry(s) { Reserved = _reserved.Contains(s.Id) };
                    _spaces[s.Id] = space;
                    entry.Spaces[s.Id] = space;
                }
                entry.Recount(_time.GetUtcNow());
                lots[lotId] = entry;
                ApplyReports(reports);
            }
            _grid = new SpatialGrid(lots.Values);
            _lots = lots;
        }
    }

    /// <summary>The spaces held for a reservation right now, as the Reservations module sees them; replaces the last set.</summary>
    public void SetReserved(IReadOnlySet<Guid> spaceIds)
    {
        lock (_gate)
        {
            var touched = new HashSet<LotEntry>();
            foreach (var id in _reserved.Where(id => !spaceIds.Contains(id)).Concat(spaceIds.Where(id => !_reserved.Contains(id))))
            {
                if (!_spaces.TryGetValue(id, out var space) || !_lots.TryGetValue(space.LotId, out var lot)) continue;
                space.Reserved = spaceIds.Contains(id);
                touched.Add(lot);
            }
            _reserved = [.. spaceIds];
            var now = _time.GetUtcNow();
            foreach (var lot in touched) lot.Recount(now);
        }
    }

    /// <summary>
    /// Current hourly prices from Pricing by unit: a lot's id for the lot, a zone's id for a zone priced on its own.
    /// The whole set: a lot not named is back at its base rate, a zone not named is priced with its lot.
    /// </summary>
    public void SetPrices(IReadOnlyDictionary<Guid, UnitPrice> prices)
    {
        lock (_gate)
        {
            _prices.Clear();
            foreach (var (unitId, price) in prices) _prices[unitId] = price;
            var now = _time.GetUtcNow();
            foreach (var lot in _lots.Values)
            {
                var price = _prices.GetValueOrDefault(lot.Id) ?? new UnitPrice(lot.BaseHourlyRate);
                if (lot.Price == price) continue;
                lot.Price = price;
                // A new snapshot: answers (and their cached JSON) are built from snapshots.
                lot.Recount(now);
            }
        }
    }

    /// <summary>One pricing unit's price now (null: none, back to the lot's base rate or priced with its lot).</summary>
    public void SetPrice(Guid unitId, Guid lotId, UnitPrice? price)
    {
        lock (_gate)
        {
            if (price is null) _prices.Remove(unitId);
            else _prices[unitId] = price;
            if (!_lots.TryGetValue(lotId, out var lot)) return;
            if (unitId == lotId) lot.Price = price ?? new UnitPrice(lot.BaseHourlyRate);
            // A new snapshot: answers (and their cached JSON) are built from snapshots.
            lot.Recount(_time.GetUtcNow());
        }
    }

    /// <summary>The counts of a zone's spaces, for pricing a zone by its own occupancy; null for a lot this node does not know.</summary>
    public Counts? ZoneCounts(Guid lotId, Guid zoneId)
    {
        lock (_gate) return _lots.TryGetValue(lotId, out var lot) ? lot.CountsWhere(s => s.ZoneId == zoneId) : null;
    }

    /// <summary>A space's own hourly rate where it differs from its lot's headline one (its zone or type is priced apart).</summary>
    private decimal? OwnRate(LotEntry lot, SpaceEntry space)
    {
        var unit = space.ZoneId is { } zone && _prices.TryGetValue(zone, out var zonePrice) ? zonePrice : lot.Price;
        var rate = unit.RateFor(space.Type);
        return rate == lot.Price.Rate ? null : rate;
    }

    /// <summary>What the space's sensor last said and since when; null for a space this node does not know.</summary>
    public (SpaceStatus Status, DateTimeOffset? Since)? SensorState(Guid spaceId)
    {
        lock (_gate) return _spaces.TryGetValue(spaceId, out var s) ? (s.Status, s.Since) : null;
    }

    public ChannelReader<AvailabilityChange> Subscribe(CancellationToken ct)
    {
        // Bounded so a slow client cannot hold memory; it drops its oldest changes and can resume by Last-Event-ID.
        var channel = Channel.CreateBounded<AvailabilityChange>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_subscribers) _subscribers.Add(channel);
        ct.Register(() => { lock (_subscribers) _subscribers.Remove(channel); channel.Writer.TryComplete(); });
        return channel.Reader;
    }

    private void Publish(List<AvailabilityChange> changes)
    {
        Channel<AvailabilityChange>[] subscribers;
        lock (_subscribers) subscribers = [.. _subscribers];
        foreach (var s in subscribers)
            foreach (var change in changes) s.Writer.TryWrite(change);
    }
}
