using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Analytics.Rollups;

public sealed record LotHour(Guid LotId, DateTimeOffset Hour, double Occupancy, double Peak, int Samples);

/// <summary>Reads the rollups for the dashboard, for an operator's lots (an admin's: any), never the raw readings.</summary>
public sealed class RollupReader(NpgsqlDataSource db, LotCatalog lots, RollupStore store, TimeProvider time)
{
    public static readonly TimeSpan MaxHourlyWindow = TimeSpan.FromDays(31);
    public static readonly TimeSpan MaxDailyWindow = TimeSpan.FromDays(366);
    private static readonly string[] ScopeNames = ["lot", "zone", "type"];

    public async Task<RollupSeries> ReadAsync(ClaimsPrincipal user, Guid? lotId, string? granularity, string? scope, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var grain = granularity?.ToLowerInvariant() ?? "hour";
        var kind = scope?.ToLowerInvariant() ?? "lot";
        new Validation()
            .Check(grain is "hour" or "day", "granularity", "must be hour or day.")
            .Check(ScopeNames.Contains(kind), "scope", "must be lot, zone or type.")
            .Instant(from, "from").Instant(to, "to")
            .ThrowIfInvalid();
        // Status batches kept since the job's last round, so an answer is as current as the events.
        await store.CountPendingAsync(ct);
        var end = (to ?? time.GetUtcNow()).ToUniversalTime();
        var start = (from ?? end - (grain == "hour" ? TimeSpan.FromDays(1) : TimeSpan.FromDays(30))).ToUniversalTime();
        var max = grain == "hour" ? MaxHourlyWindow : MaxDailyWindow;
        new Validation()
            .Check(start < end, "from", "must be before to.")
            .Check(end - start <= max, "from", $"the window is at most {max.TotalDays} days for {grain} rollups.")
            .ThrowIfInvalid();
        var ids = lotId is { } id ? [(await lots.FindForOperatorAsync(id, user, ct)).Id] : await lots.LotIdsAsync(user.TenantScope(), ct);

        await using var connection = await db.OpenConnectionAsync(ct);
        var parameters = new { ids = ids.ToArray(), grain, kind, start, end };
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            select lot_id, bucket, scope, scope_key, occupancy_sum, occupancy_samples, peak, uptime_sum, uptime_samples, arrivals,
                   dwell_under_15m, dwell_15_30m, dwell_30_60m, dwell_1_2h, dwell_2_4h, dwell_4_8h, dwell_over_8h, reservations, cancellations, no_shows, sessions
            from analytics_rollups
            where lot_id = any(@ids) and granularity = @grain and scope = @kind and bucket >= @start and bucket < @end
            order by bucket, lot_id, scope_key
            """, parameters, cancellationToken: ct));
        var money = (await connection.QueryAsync<(Guid LotId, DateTime Bucket, string ScopeKey, string Currency, decimal Charged, decimal Refunded)>(new CommandDefinition("""
            select lot_id, bucket, scope_key, currency, charged, refunded from analytics_revenue
            where lot_id = any(@ids) and granularity = @grain and scope = @kind and bucket >= @start and bucket < @end
            order by currency
            """, parameters, cancellationToken: ct)))
            .ToLookup(m => (m.LotId, new DateTimeOffset(m.Bucket, TimeSpan.Zero), m.ScopeKey), m => new CurrencyTotal(m.Currency, m.Charged, m.Refunded, m.Charged - m.Refunded));
        var buckets = rows.Select(r => new RollupBucket(r.LotId, r.Bucket, r.Scope, r.ScopeKey,
            r.OccupancySamples == 0 ? null : Math.Round(r.OccupancySum / r.OccupancySamples, 4), r.Peak, r.OccupancySamples,
            r.UptimeSamples == 0 ? null : Math.Round(r.UptimeSum / r.UptimeSamples, 4), r.Arrivals,
            new DwellBuckets(r.DwellUnder15m, r.Dwell1530m, r.Dwell3060m, r.Dwell12h, r.Dwell24h, r.Dwell48h, r.DwellOver8h),
            r.Reservations, r.Cancellations, r.NoShows, r.Sessions, [.. money[(r.LotId, r.Bucket, r.ScopeKey)]])).ToList();
        return new RollupSeries(lotId, grain, start, end, buckets);
    }

    /// <summary>The lots' hours from lot_occupancy_hourly (live rollups, or imported history where no live hour exists).</summary>
    public async Task<IReadOnlyList<LotHour>> LotHoursAsync(IReadOnlyCollection<Guid> lotIds, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (lotIds.Count == 0) return [];
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<LotHour>(new CommandDefinition("""
            select lot_id, hour, occupancy, peak, samples from lot_occupancy_hourly
            where lot_id = any(@ids) and hour >= @from and hour < @to
            """, new { ids = lotIds.ToArray(), from, to }, cancellationToken: ct))).ToList();
    }

    private sealed class Row
    {
        public Guid LotId { get; init; }
        public DateTimeOffset Bucket { get; init; }
        public string Scope { get; init; } = "";
        public string ScopeKey { get; init; } = "";
        public double OccupancySum { get; init; }
        public int OccupancySamples { get; init; }
        public double? Peak { get; init; }
        public double UptimeSum { get; init; }
        public int UptimeSamples { get; init; }
        public int Arrivals { get; init; }
        public int DwellUnder15m { get; init; }
        public int Dwell1530m { get; init; }
        public int Dwell3060m { get; init; }
        public int Dwell12h { get; init; }
        public int Dwell24h { get; init; }
        public int Dwell48h { get; init; }
        public int DwellOver8h { get; init; }
        public int Reservations { get; init; }
        public int Cancellations { get; init; }
        public int NoShows { get; init; }
        public int Sessions { get; init; }
    }
}
