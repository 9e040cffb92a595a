using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Lots;

/// <summary>What other modules (Reservations, Sessions, Pricing) need to know about a lot, without reading its tables.</summary>
public sealed record LotFacts(Guid Id, Guid TenantId, string Name, string Kind, string TimeZone, IReadOnlyList<OpeningHours> OpeningHours, decimal BaseHourlyRate, string Currency,
    double Latitude, double Longitude)
{
    /// <summary>
    /// Whether the lot is open for the whole of [start, end): the opening hours of each local day, as UTC intervals,
    /// must cover it without a gap. No opening hours means open around the clock.
    /// </summary>
    public bool IsOpenThroughout(DateTimeOffset start, DateTimeOffset end) => !ClosedParts(start, end).Any();

    /// <summary>Whether the lot's opening hours have it open at this instant (the feeds' open or closed state).</summary>
    public bool IsOpenAt(DateTimeOffset at) => IsOpenThroughout(at, at.AddTicks(1));

    /// <summary>The parts of [start, end) the lot is closed for by its opening hours, in order; empty when open throughout.</summary>
    public IReadOnlyList<(DateTimeOffset From, DateTimeOffset Until)> ClosedDuring(DateTimeOffset start, DateTimeOffset end) => [.. ClosedParts(start, end)];

    /// <summary>Whether the opening hours keep the lot closed for the whole of [start, end) (a day it does not open).</summary>
    public bool IsClosedThroughout(DateTimeOffset start, DateTimeOffset end) => ClosedParts(start, end).Sum(c => (c.Until - c.From).Ticks) >= (end - start).Ticks;

    /// <summary>Why [start, end) cannot be booked, for error messages: its first closed parts in the lot's local time with the zone.</summary>
    public string ClosedText(DateTimeOffset start, DateTimeOffset end) =>
        string.Join("; ", ClosedParts(start, end).Take(3).Select(c => LocalTimes.Range(c.From, c.Until, TimeZone)));

    /// <summary>
    /// One walk of the opening hours, day by day as UTC intervals, yielding each gap as it is found: a caller that only
    /// asks whether there is one stops at the first. Once a whole week passes without a gap, the weekly hours cover
    /// every week, so the walk ends there however long the window.
    /// </summary>
    private IEnumerable<(DateTimeOffset From, DateTimeOffset Until)> ClosedParts(DateTimeOffset start, DateTimeOffset end)
    {
        if (OpeningHours.Count == 0 || end <= start) yield break;
        // Hours repeat weekly, so clamping to the span the platform deals in changes no answer and keeps the
        // date arithmetic below from overflowing at year 1 or 9999.
        if (start < Instants.Earliest) start = Instants.Earliest;
        if (end > Instants.Latest) end = Instants.Latest;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        var covered = start;
        var lastGap = start;
        var lastDay = end.LocalDay(zone);
        // From the day before: its hours may run past midnight.
        for (var day = start.LocalDay(zone).AddDays(-1); day <= lastDay; day = day.AddDays(1))
        {
            var name = LotsVocabulary.Days[((int)day.DayOfWeek + 6) % 7];
            foreach (var (from, to) in OpeningHours.Where(h => h.Day == name)
                         .Select(h => (From: Instants.AtLocal(day, Time(h.Opens), zone), To: Instants.AtLocal(day, Time(h.Closes), zone))).OrderBy(i => i.From))
            {
                if (covered >= end) yield break;
                if (from > covered)
                {
                    yield return (covered, from < end ? from : end);
                    lastGap = from;
                }
                if (to > covered) covered = to;
            }
            if (covered >= end || covered - lastGap >= TimeSpan.FromDays(7)) yield break;
        }
        if (covered < end) yield return (covered, end);
    }

    private static TimeSpan Time(string value) => value == "24:00" ? TimeSpan.FromDays(1) : TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A lot's id and name.</summary>
public sealed record LotName(Guid Id, string Name);

/// <summary>
/// Lot facts, cached in memory: every booking and session needs them and they rarely change. A change to a lot on any
/// node reaches every node's cache through LotCatalogChanged (recorded by the lots_changed trigger).
/// </summary>
public sealed class LotCatalog : IEventHandler<LotCatalogChanged>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly NpgsqlDataSource _db;
    private readonly ConcurrentDictionary<Guid, LotFacts> _cache = new();
    private readonly ConcurrentDictionary<Guid, PublicLot> _public = new();
    private long _generation;
    private volatile AllLots? _all;

    public LotCatalog(NpgsqlDataSource db)
    {
        _db = db;
    }

    public Task HandleAsync(LotCatalogChanged domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Interlocked.Increment(ref _generation);
        _cache.TryRemove(domainEvent.LotId, out _);
        _public.TryRemove(domainEvent.LotId, out _);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Every lot (the pricing scheduler's, alert rounds' and rollup sampler's rounds). Read whole once and then kept while
    /// no lot changes: a city of 10,000 lots is 50 ms of PostgreSQL per read, which those rounds made every half minute.
    /// </summary>
    public async Task<IReadOnlyList<LotFacts>> AllAsync(CancellationToken ct)
    {
        var generation = Interlocked.Read(ref _generation);
        if (_all is { } all && all.Generation == generation) return all.Lots;
        await using var connection = await _db.OpenConnectionAsync(ct);
        var read = (await connection.QueryAsync<FactsRow>(new CommandDefinition($"{FactsRow.Select} from lots", cancellationToken: ct))).Select(r => r.ToFacts()).ToList();
        // As in FindAsync: kept only if no lot changed since the read began.
        if (Interlocked.Read(ref _generation) == generation)
        {
            foreach (var facts in read) _cache[facts.Id] = facts;
            _all = new AllLots(generation, read);
        }
        return read;
    }

    /// <summary>Every lot as read whole, while the generation it was read at is current.</summary>
    private sealed record AllLots(long Generation, IReadOnlyList<LotFacts> Lots);

    /// <summary>The lot, if it is the operator's tenant's (any lot for an admin); 404 otherwise, so other tenants' lots do not show.</summary>
    public async Task<LotFacts> FindForOperatorAsync(Guid lotId, ClaimsPrincipal principal, CancellationToken ct)
    {
        var lot = await FindAsync(lotId, ct);
        var scope = principal.TenantScope();
        return lot is null || (scope is not null && lot.TenantId != scope) ? throw new NotFoundException("Lot") : lot;
    }

    /// <summary>The lot of a zone, if the zone is the operator's tenant's (any for an admin); 404 otherwise.</summary>
    public async Task<LotFacts> FindZoneLotForOperatorAsync(Guid zoneId, ClaimsPrincipal principal, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        var lotId = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "select lot_id from zones where id = @zoneId and (@scope::uuid is null or tenant_id = @scope)", new { zoneId, scope = principal.TenantScope() }, cancellationToken: ct));
        return (lotId is { } id ? await FindAsync(id, ct) : null) ?? throw new NotFoundException("Zone");
    }

    /// <summary>The tenant's display name, for report headings; null when there is no such tenant.</summary>
    public async Task<string?> TenantNameAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition("select name from tenants where id = @tenantId", new { tenantId }, cancellationToken: ct));
    }

    /// <summary>The ids of a tenant's lots (every lot for null), straight from the database.</summary>
    public async Task<IReadOnlyList<Guid>> LotIdsAsync(Guid? tenant, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "select id from lots where @tenant::uuid is null or tenant_id = @tenant", new { tenant }, cancellationToken: ct))).ToList();
    }

    /// <summary>Every lot of a tenant by id and name, straight from the database (history imports name lots either way).</summary>
    public async Task<IReadOnlyList<LotName>> NamesAsync(Guid tenant, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<LotName>(new CommandDefinition(
            "select id, name from lots where tenant_id = @tenant", new { tenant }, cancellationToken: ct))).ToList();
    }

    /// <summary>Every lot of a tenant with its number of spaces (zero included).</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> SpaceCountsAsync(Guid tenant, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid LotId, int Spaces)>(new CommandDefinition(
            "select l.id, (select count(*) from spaces s where s.lot_id = l.id)::int from lots l where l.tenant_id = @tenant", new { tenant }, cancellationToken: ct)))
            .ToDictionary(l => l.LotId, l => l.Spaces);
    }

    public async Task<bool> HasZoneAsync(Guid lotId, Guid zoneId, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from zones where id = @zoneId and lot_id = @lotId)", new { zoneId, lotId }, cancellationToken: ct));
    }

    /// <summary>
    /// Lots as drivers see them (address, hours, amenities, space counts, parking rules), for every search result list;
    /// cached like the facts, since counting a lot's spaces and gathering its rules is the dearest read a search makes.
    /// A lot that no longer exists is left out.
    /// </summary>
    public async Task<IReadOnlyList<PublicLot>> PublicLotsAsync(IReadOnlyCollection<Guid> lotIds, CancellationToken ct)
    {
        var known = new Dictionary<Guid, PublicLot>();
        foreach (var id in lotIds)
            if (_public.TryGetValue(id, out var cached)) known[id] = cached;
        var missing = lotIds.Where(id => !known.ContainsKey(id)).Distinct().ToArray();
        if (missing.Length > 0)
        {
            var generation = Interlocked.Read(ref _generation);
            await using var connection = await _db.OpenConnectionAsync(ct);
            var rows = await connection.QueryAsync<Lots.LotRow>(new CommandDefinition(
                $"{Lots.LotRow.Select} where l.id = any(@ids)", new { ids = missing }, cancellationToken: ct));
            foreach (var lot in rows.Select(r => r.ToPublic())) known[lot.Id] = lot;
            // As in FindAsync: kept only if no lot changed since the read began (this answer is right either way).
            foreach (var id in missing)
                if (known.TryGetValue(id, out var lot)) _public[id] = lot;
            if (Interlocked.Read(ref _generation) != generation)
                foreach (var id in missing) _public.TryRemove(id, out _);
        }
        return lotIds.Distinct().Select(id => known.GetValueOrDefault(id)).OfType<PublicLot>().ToList();
    }

    /// <summary>
    /// Lots whose name or street address contains the text (case-insensitive), best match first: a driver typing a
    /// garage's name. Only the given tenants' lots when any are given.
    /// </summary>
    public async Task<IReadOnlyList<PublicLot>> SearchPublicAsync(string text, int limit, CancellationToken ct, IReadOnlyCollection<Guid>? tenants = null)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        await using var connection = await _db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Lots.LotRow>(new CommandDefinition($"""
            {Lots.LotRow.Select}
            where (l.name ilike @pattern or l.street_address ilike @pattern or concat_ws(', ', l.street_address, l.city) ilike @pattern)
              and (cardinality(@tenants) = 0 or l.tenant_id = any(@tenants))
            order by (lower(l.name) = lower(@text)) desc, (l.name ilike @prefix) desc, length(l.name), l.name
            limit @limit
            """, new { text = text.Trim(), pattern = $"%{SqlLike.Literal(text.Trim())}%", prefix = $"{SqlLike.Literal(text.Trim())}%", limit, tenants = (tenants ?? []).ToArray() }, cancellationToken: ct));
        return rows.Select(r => r.ToPublic()).ToList();
    }

    /// <summary>The lot's IANA time zone, in which people read its times; UTC for a lot that no longer exists.</summary>
    public async Task<string> TimeZoneOfAsync(Guid lotId, CancellationToken ct) => (await FindAsync(lotId, ct))?.TimeZone ?? "UTC";

    public async Task<LotFacts?> FindAsync(Guid lotId, CancellationToken ct)
    {
        if (_cache.TryGetValue(lotId, out var cached)) return cached;
        var generation = Interlocked.Read(ref _generation);
        await using var connection = await _db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<FactsRow>(new CommandDefinition($"{FactsRow.Select} from lots where id = @lotId", new { lotId }, cancellationToken: ct));
        if (row is null) return null;
        var facts = row.ToFacts();
        // Not kept if any lot changed since the read began: that notice may have come before this answer.
        _cache[lotId] = facts;
        if (Interlocked.Read(ref _generation) != generation) _cache.TryRemove(lotId, out _);
        return facts;
    }

    private sealed class FactsRow
    {
        public const string Select = "select id, tenant_id, name, kind, time_zone, opening_hours::text as opening_hours, base_hourly_rate, currency, latitude, longitude";
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Name { get; init; } = "";
        public string Kind { get; init; } = "";
        public string TimeZone { get; init; } = "";
        public string OpeningHours { get; init; } = "[]";
        public decimal BaseHourlyRate { get; init; }
        public string Currency { get; init; } = "";
        public double Latitude { get; init; }
        public double Longitude { get; init; }

        public LotFacts ToFacts() => new(Id, TenantId, Name, Kind, TimeZone, JsonSerializer.Deserialize<List<OpeningHours>>(OpeningHours, Json) ?? [],
            BaseHourlyRate, Currency.Trim(), Latitude, Longitude);
    }
}
