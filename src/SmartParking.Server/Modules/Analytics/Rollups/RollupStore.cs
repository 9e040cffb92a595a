using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics.Rollups;

/// <summary>A bucket of one lot that new booking or money facts touched: its hourly row, and the lot-local day it falls in, are recomputed.</summary>
public readonly record struct DirtyHour(Guid LotId, DateTimeOffset Hour)
{
    public static DirtyHour Of(Guid lotId, DateTimeOffset at) => new(lotId, at.ToWholeHour());

}

/// <summary>
/// Where a car's arrival (Kind 0) or departure (Kind 1..7, by dwell) counts: the hour the stay began and its lot-local
/// day, for the lot, its zone and its space type.
/// </summary>
public readonly record struct StayBucket(Guid LotId, Guid? ZoneId, string SpaceType, DateTimeOffset Hour, DateTimeOffset Day, short Kind);

/// <summary>One minute's look at a lot, zone or space type: occupied share of the spaces in service, and (lot only) sensors online.</summary>
public sealed record LiveSample(Guid TenantId, Guid LotId, string Scope, string ScopeKey, double? Occupancy, double? Uptime, int Capacity);

/// <summary>
/// The rollup tables' SQL. Hours are recomputed from the facts of that hour only, so a redelivered event rewrites the
/// same numbers; a day is the sum of its hours in the lot's time zone.
/// </summary>
public sealed class RollupStore(NpgsqlDataSource db, LotCatalog lots)
{
    // Each fact counts for its lot, its zone (when it has one) and its space type (when known).
    private const string Scopes = "cross join lateral (values ('lot', ''), ('zone', f.zone_id::text), ('type', f.space_type)) k(scope, scope_key)";

    private const string Dirty = "with dirty as (select distinct lot_id, hour from unnest(@lots::uuid[], @hours::timestamptz[]) as d(lot_id, hour))";

    // Recomputes upsert the same rollup rows from several places (the ledger, the job, a reader): one at a time, so two
    // never lock the same rows in different orders.
    private const long RecomputeLock = 0x524F4C4C; // "ROLL"

    public async Task RecomputeAsync(IReadOnlyCollection<DirtyHour> dirty, CancellationToken ct)
    {
        if (dirty.Count == 0) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@RecomputeLock)", new { RecomputeLock }, tx, cancellationToken: ct));
        await RecomputeAsync(connection, tx, dirty, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Keeps one ingest event's arrivals and departures, counted per bucket, until <see cref="CountPendingAsync"/> adds
    /// them to the rollups. An event already kept (a redelivery) is left as it was.
    /// </summary>
    public async Task KeepStatusBatchAsync(Guid eventId, Guid tenantId, DateTimeOffset recordedAt, IReadOnlyDictionary<StayBucket, int> counts, CancellationToken ct)
    {
        if (counts.Count == 0) return;
        var buckets = counts.Keys.ToList();
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into analytics_status_batches (event_id, tenant_id, recorded_at, lot_ids, zone_ids, space_types, hours, days, kinds, counts)
            values (@eventId, @tenantId, @recordedAt, @lots, @zones, @types, @hours, @days, @kinds, @counts)
            on conflict (event_id) do nothing
            """, new
        {
            eventId, tenantId, recordedAt,
            lots = buckets.Select(b => b.LotId).ToArray(), zones = buckets.Select(b => b.ZoneId).ToArray(), types = buckets.Select(b => b.SpaceType).ToArray(),
            hours = buckets.Select(b => b.Hour).ToArray(), days = buckets.Select(b => b.Day).ToArray(), kinds = buckets.Select(b => b.Kind).ToArray(),
            counts = buckets.Select(b => counts[b]).ToArray(),
        }, cancellationToken: ct));
    }

    /// <summary>
    /// Adds every kept batch to its hourly and daily rollups and empties it, in one statement: a batch is counted once
    /// whoever runs this (the job each round, a reader before it answers). Returns the batches counted.
    /// </summary>
    public async Task<int> CountPendingAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from analytics_status_batches where lot_ids is not null)", cancellationToken: ct))) return 0;
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@RecomputeLock)", new { RecomputeLock }, tx, cancellationToken: ct));
        var counted = await connection.ExecuteScalarAsync<int>(new CommandDefinition($"""
            with taken as (
                select event_id, tenant_id, lot_ids, zone_ids, space_types, hours, days, kinds, counts
                from analytics_status_batches where lot_ids is not null for update),
            emptied as (
                update analytics_status_batches b
                set lot_ids = null, zone_ids = null, space_types = null, hours = null, days = null, kinds = null, counts = null
                from taken t where b.event_id = t.event_id),
            f as (
                select t.tenant_id, c.lot_id, c.zone_id, c.space_type, c.hour, c.day, c.kind, sum(c.n) as n from taken t
                cross join lateral unnest(t.lot_ids, t.zone_ids, t.space_types, t.hours, t.days, t.kinds, t.counts)
                    as c(lot_id, zone_id, space_type, hour, day, kind, n)
                group by t.tenant_id, c.lot_id, c.zone_id, c.space_type, c.hour, c.day, c.kind),
            counted as (
                select f.tenant_id, f.lot_id, g.granularity, g.bucket, k.scope, k.scope_key,
                       {string.Join(", ", Enumerable.Range(0, 8).Select(kind => $"coalesce(sum(f.n) filter (where f.kind = {kind}), 0)::int as k{kind}"))}
                from f
                cross join lateral (values ('hour', f.hour), ('day', f.day)) g(granularity, bucket)
                {Scopes}
                where k.scope_key is not null
                group by f.tenant_id, f.lot_id, g.granularity, g.bucket, k.scope, k.scope_key),
            added as (
                insert into analytics_rollups as r (tenant_id, lot_id, granularity, bucket, scope, scope_key, arrivals,
                    dwell_under_15m, dwell_15_30m, dwell_30_60m, dwell_1_2h, dwell_2_4h, dwell_4_8h, dwell_over_8h)
                select tenant_id, lot_id, granularity, bucket, scope, scope_key, k0, k1, k2, k3, k4, k5, k6, k7 from counted
                order by lot_id, granularity, scope, scope_key, bucket
                on conflict (lot_id, granularity, scope, scope_key, bucket) do update set arrivals = r.arrivals + excluded.arrivals,
                    dwell_under_15m = r.dwell_under_15m + excluded.dwell_under_15m, dwell_15_30m = r.dwell_15_30m + excluded.dwell_15_30m,
                    dwell_30_60m = r.dwell_30_60m + excluded.dwell_30_60m, dwell_1_2h = r.dwell_1_2h + excluded.dwell_1_2h,
                    dwell_2_4h = r.dwell_2_4h + excluded.dwell_2_4h, dwell_4_8h = r.dwell_4_8h + excluded.dwell_4_8h,
                    dwell_over_8h = r.dwell_over_8h + excluded.dwell_over_8h)
            select count(*)::int from taken
            """, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return counted;
    }

    /// <summary>The instant the lot-local day of an instant begins: the bucket of its daily rollup.</summary>
    public async Task<DateTimeOffset> DayStartAsync(Guid lotId, DateTimeOffset at, CancellationToken ct) => (await LocalDayAsync(lotId, at, ct)).Start;

    /// <summary>The lot-local day an instant falls in, as UTC instants: the one definition every daily rollup uses.</summary>
    private async Task<(DateTimeOffset Start, DateTimeOffset End)> LocalDayAsync(Guid lotId, DateTimeOffset at, CancellationToken ct)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(await lots.TimeZoneOfAsync(lotId, ct));
        var day = at.LocalDay(zone);
        return (Instants.AtLocal(day, TimeSpan.Zero, zone), Instants.AtLocal(day.AddDays(1), TimeSpan.Zero, zone));
    }

    private async Task RecomputeAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyCollection<DirtyHour> dirty, CancellationToken ct)
    {
        var parameters = new { lots = dirty.Select(d => d.LotId).ToArray(), hours = dirty.Select(d => d.Hour).ToArray() };
        await connection.ExecuteAsync(new CommandDefinition($"""
            {Dirty}, counted as (
                select f.tenant_id, f.lot_id, d.hour, k.scope, k.scope_key,
                       count(*) filter (where f.kind = 'reservation' and f.confirmed)::int as reservations,
                       count(*) filter (where f.kind = 'reservation' and f.cancelled)::int as cancellations,
                       count(*) filter (where f.kind = 'reservation' and f.no_show)::int as no_shows,
                       count(*) filter (where f.kind = 'session')::int as sessions
                from dirty d join analytics_stays f on f.lot_id = d.lot_id and f.starts_at >= d.hour and f.starts_at < d.hour + interval '1 hour'
                {Scopes}
                where k.scope_key is not null
                group by f.tenant_id, f.lot_id, d.hour, k.scope, k.scope_key)
            insert into analytics_rollups as r (tenant_id, lot_id, granularity, bucket, scope, scope_key, reservations, cancellations, no_shows, sessions)
            select tenant_id, lot_id, 'hour', hour, scope, scope_key, reservations, cancellations, no_shows, sessions from counted
            on conflict (lot_id, granularity, scope, scope_key, bucket) do update set reservations = excluded.reservations,
                cancellations = excluded.cancellations, no_shows = excluded.no_shows, sessions = excluded.sessions
            """, parameters, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition($"""
            {Dirty}, summed as (
                select f.tenant_id, f.lot_id, d.hour, k.scope, k.scope_key, m.currency,
                       coalesce(sum(m.amount) filter (where m.amount > 0), 0) as charged,
                       coalesce(-sum(m.amount) filter (where m.amount < 0), 0) as refunded
                from dirty d join analytics_money m on m.at >= d.hour and m.at < d.hour + interval '1 hour'
                join analytics_stays f on f.id = m.reference_id and f.lot_id = d.lot_id
                {Scopes}
                where k.scope_key is not null
                group by f.tenant_id, f.lot_id, d.hour, k.scope, k.scope_key, m.currency)
            insert into analytics_revenue as r (tenant_id, lot_id, granularity, bucket, scope, scope_key, currency, charged, refunded)
            select tenant_id, lot_id, 'hour', hour, scope, scope_key, currency, charged, refunded from summed
            on conflict (lot_id, granularity, scope, scope_key, bucket, currency) do update set charged = excluded.charged, refunded = excluded.refunded
            """, parameters, tx, cancellationToken: ct));
        await RecomputeDaysAsync(connection, tx, dirty, ct);
    }

    /// <summary>
    /// Adds minutes of samples to their hours and lot-local days, and mirrors the lots' hours into lot_occupancy_hourly.
    /// A row takes a sum only when none of its minutes is there yet (last_sample before the first), so a sum written
    /// again, or by a node taking the job over, is not counted twice. The cost is one row per bucket, however many
    /// minutes and readings it holds.
    /// </summary>
    public async Task AddSampleSumsAsync(IReadOnlyList<SampleSum> sums, CancellationToken ct)
    {
        if (sums.Count == 0) return;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Each sum goes to its hour and to its day.
        var rows = sums.SelectMany(s => new[] { (Granularity: "hour", Bucket: s.Hour, Sum: s), (Granularity: "day", Bucket: s.Day, Sum: s) }).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            with input as (
                -- A day takes the sums of several hours, and (in a zone half an hour off) an hour those of two days: one row each.
                select tenant_id, lot_id, granularity, bucket, scope, scope_key, sum(occupancy_sum) as occupancy_sum, sum(occupancy_samples)::int as occupancy_samples,
                    max(peak) as peak, sum(uptime_sum) as uptime_sum, sum(uptime_samples)::int as uptime_samples, min(first_sample) as first_sample, max(last_sample) as last_sample
                from unnest(@tenants::uuid[], @lots::uuid[], @granularities::text[], @buckets::timestamptz[], @scopes::text[], @keys::text[],
                    @occupancySums::float8[], @occupancySamples::int[], @peaks::float8[], @uptimeSums::float8[], @uptimeSamples::int[],
                    @firsts::timestamptz[], @lasts::timestamptz[])
                    as x(tenant_id, lot_id, granularity, bucket, scope, scope_key, occupancy_sum, occupancy_samples, peak, uptime_sum, uptime_samples, first_sample, last_sample)
                group by tenant_id, lot_id, granularity, bucket, scope, scope_key
            ), added as (
                update analytics_rollups r set
                    occupancy_sum = r.occupancy_sum + i.occupancy_sum, occupancy_samples = r.occupancy_samples + i.occupancy_samples,
                    peak = greatest(r.peak, i.peak),
                    uptime_sum = r.uptime_sum + i.uptime_sum, uptime_samples = r.uptime_samples + i.uptime_samples,
                    last_sample = i.last_sample
                from input i
                where r.lot_id = i.lot_id and r.granularity = i.granularity and r.scope = i.scope and r.scope_key = i.scope_key and r.bucket = i.bucket
                  and (r.last_sample is null or r.last_sample < i.first_sample)
            )
            insert into analytics_rollups (tenant_id, lot_id, granularity, bucket, scope, scope_key, occupancy_sum, occupancy_samples, peak,
                uptime_sum, uptime_samples, last_sample)
            select tenant_id, lot_id, granularity, bucket, scope, scope_key, occupancy_sum, occupancy_samples, peak, uptime_sum, uptime_samples, last_sample
            from input
            on conflict (lot_id, granularity, scope, scope_key, bucket) do nothing
            """, new
            {
                tenants = rows.Select(r => r.Sum.TenantId).ToArray(), lots = rows.Select(r => r.Sum.LotId).ToArray(),
                granularities = rows.Select(r => r.Granularity).ToArray(), buckets = rows.Select(r => r.Bucket).ToArray(),
                scopes = rows.Select(r => r.Sum.Scope).ToArray(), keys = rows.Select(r => r.Sum.ScopeKey).ToArray(),
                occupancySums = rows.Select(r => r.Sum.OccupancySum).ToArray(), occupancySamples = rows.Select(r => r.Sum.OccupancySamples).ToArray(),
                peaks = rows.Select(r => r.Sum.Peak).ToArray(),
                uptimeSums = rows.Select(r => r.Sum.UptimeSum).ToArray(), uptimeSamples = rows.Select(r => r.Sum.UptimeSamples).ToArray(),
                firsts = rows.Select(r => r.Sum.FirstMinute).ToArray(), lasts = rows.Select(r => r.Sum.LastMinute).ToArray(),
            }, tx, cancellationToken: ct));
        var lotHours = sums.Where(s => s.Scope == "lot").DistinctBy(s => (s.LotId, s.Hour)).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into lot_occupancy_hourly as o (tenant_id, lot_id, hour, occupancy, peak, capacity, samples, source)
            select r.tenant_id, r.lot_id, r.bucket, least(1, r.occupancy_sum / r.occupancy_samples), least(1, r.peak), c.capacity, r.occupancy_samples, 'live'
            from unnest(@lots::uuid[], @hours::timestamptz[], @capacities::int[]) as c(lot_id, hour, capacity)
            join analytics_rollups r on r.lot_id = c.lot_id and r.granularity = 'hour' and r.scope = 'lot' and r.scope_key = '' and r.bucket = c.hour
            where r.occupancy_samples > 0
            on conflict (lot_id, hour) do update set tenant_id = excluded.tenant_id, occupancy = excluded.occupancy, peak = excluded.peak,
                capacity = excluded.capacity, samples = excluded.samples, source = 'live'
            """, new
            {
                lots = lotHours.Select(s => s.LotId).ToArray(), hours = lotHours.Select(s => s.Hour).ToArray(), capacities = lotHours.Select(s => s.Capacity).ToArray(),
            }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The booking columns of each touched lot-local day become the sums of its hours. Occupancy, uptime, turnover and
    /// dwell are not touched here: the sampler and <see cref="CountPendingAsync"/> add to the day as they add to the hour.
    /// </summary>
    private async Task RecomputeDaysAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyCollection<DirtyHour> dirty, CancellationToken ct)
    {
        var touched = new HashSet<(Guid LotId, DateTimeOffset Start, DateTimeOffset End)>();
        foreach (var d in dirty)
        {
            var (start, end) = await LocalDayAsync(d.LotId, d.Hour, ct);
            touched.Add((d.LotId, start, end));
        }
        var parameters = new
        {
            lots = touched.Select(d => d.LotId).ToArray(), starts = touched.Select(d => d.Start).ToArray(), ends = touched.Select(d => d.End).ToArray(),
        };
        const string days = "with days as (select * from unnest(@lots::uuid[], @starts::timestamptz[], @ends::timestamptz[]) as d(lot_id, day_start, day_end))";
        await connection.ExecuteAsync(new CommandDefinition($"""
            {days}
            insert into analytics_rollups as r (tenant_id, lot_id, granularity, bucket, scope, scope_key, reservations, cancellations, no_shows, sessions)
            select h.tenant_id, d.lot_id, 'day', d.day_start, h.scope, h.scope_key, sum(h.reservations), sum(h.cancellations), sum(h.no_shows), sum(h.sessions)
            from days d join analytics_rollups h on h.lot_id = d.lot_id and h.granularity = 'hour' and h.bucket >= d.day_start and h.bucket < d.day_end
            group by h.tenant_id, d.lot_id, d.day_start, h.scope, h.scope_key
            on conflict (lot_id, granularity, scope, scope_key, bucket) do update set
                reservations = excluded.reservations, cancellations = excluded.cancellations, no_shows = excluded.no_shows, sessions = excluded.sessions
            """, parameters, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition($"""
            {days}
            insert into analytics_revenue as r (tenant_id, lot_id, granularity, bucket, scope, scope_key, currency, charged, refunded)
            select h.tenant_id, d.lot_id, 'day', d.day_start, h.scope, h.scope_key, h.currency, sum(h.charged), sum(h.refunded)
            from days d join analytics_revenue h on h.lot_id = d.lot_id and h.granularity = 'hour' and h.bucket >= d.day_start and h.bucket < d.day_end
            group by h.tenant_id, d.lot_id, d.day_start, h.scope, h.scope_key, h.currency
            on conflict (lot_id, granularity, scope, scope_key, bucket, currency) do update set charged = excluded.charged, refunded = excluded.refunded
            """, parameters, tx, cancellationToken: ct));
    }

    /// <summary>Drops rollups older than the retention and facts older than theirs; returns the rows deleted.</summary>
    public async Task<int> PruneAsync(DateTimeOffset rollupsBefore, DateTimeOffset factsBefore, DateTimeOffset batchesBefore, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            delete from analytics_rollups where bucket < @rollupsBefore;
            delete from analytics_revenue where bucket < @rollupsBefore;
            delete from lot_occupancy_hourly where hour < @rollupsBefore;
            delete from analytics_status_batches where lot_ids is null and recorded_at < @batchesBefore;
            delete from analytics_stays where starts_at < @factsBefore;
            delete from analytics_money where at < @factsBefore;
            """, new { rollupsBefore, factsBefore, batchesBefore }, cancellationToken: ct));
    }
}
