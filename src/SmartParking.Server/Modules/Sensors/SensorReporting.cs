using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Sensors;

/// <summary>When a space's sensor last reported, how often it is expected to, and when that makes it overdue.</summary>
public sealed class SpaceReport
{
    public Guid SpaceId { get; init; }
    public DateTimeOffset? HeardAt { get; init; }
    public int ExpectedSeconds { get; init; }
    public int OverdueSeconds { get; init; }
}

/// <summary>
/// How long a sensor may stay silent: the one rule behind the health sweep (a space turns unknown), the registry's
/// online/offline and the age and confidence availability shows.
/// <para>
/// A sensor's expected interval is its own <c>heartbeat_seconds</c>, else its lot's policy, else its kind's
/// (Ingest:HeartbeatSecondsByKind), else Ingest:HeartbeatSeconds. A space fed without a registered sensor (a FIWARE
/// agent, change-only) takes its lot's policy, else Ingest:FeedHeartbeatSeconds.
/// </para>
/// <para>
/// Overdue after 2 × the interval + Ingest:OverdueGraceSeconds: one lost or late message never blanks a space (radio
/// links drop some), the grace covers delays that do not grow with the interval, and the defaults (30 s, 30 s) keep
/// the old 90 s.
/// </para>
/// </summary>
public sealed class SensorReporting(IOptions<IngestOptions> options)
{
    public const int MinHeartbeatSeconds = 1;
    public const int MaxHeartbeatSeconds = 604_800;

    /// <summary>For a query over sensors <c>se</c>: the lot policy <c>lp</c> the rule reads.</summary>
    public const string SensorJoins = "left join sensor_lot_policies lp on lp.lot_id = se.lot_id";

    /// <summary>For a query over space_status <c>ss</c>: the space's sensor <c>se</c> (if any) and its lot's policy <c>lp</c>.</summary>
    public const string SpaceJoins = "left join sensors se on se.space_id = ss.space_id left join sensor_lot_policies lp on lp.lot_id = ss.lot_id";

    /// <summary>
    /// <see cref="SpaceJoins"/> for a slice of spaces (@after, @until]: bounded on the sensors' side too, PostgreSQL merges
    /// two index ranges rather than reading every sensor for each slice.
    /// </summary>
    public const string SpaceJoinsInSlice = "left join sensors se on se.space_id = ss.space_id and se.space_id > @after and se.space_id <= @until left join sensor_lot_policies lp on lp.lot_id = ss.lot_id";

    /// <summary>The expected interval in seconds (needs <see cref="SensorJoins"/> or <see cref="SpaceJoins"/> and <see cref="Parameters"/>).</summary>
    public const string ExpectedSeconds = """
        (case when se.id is null then coalesce(lp.heartbeat_seconds, @feedHeartbeatSeconds)
              else coalesce(se.heartbeat_seconds, lp.heartbeat_seconds, (@kindHeartbeatSeconds::int[])[array_position(@heartbeatKinds::text[], se.kind)], @heartbeatSeconds) end)
        """;

    public const string OverdueSeconds = $"(2 * {ExpectedSeconds} + @overdueGraceSeconds)";

    /// <summary>A space's last report: its sensor's last message (readings and heartbeats) or, without one, the feed's last reading.</summary>
    public const string SpaceHeardAt = "greatest(se.last_seen_at, ss.observed_at)";

    /// <summary>True when <paramref name="heardAt"/> is longer ago than the overdue limit (needs <c>@now</c>).</summary>
    public static string IsOverdue(string heardAt) => $"{heardAt} < @now - {OverdueSeconds} * interval '1 second'";

    /// <summary>A sensor's registry health: never_seen, offline (overdue) or online.</summary>
    public static readonly string SensorHealth = $"(case when se.last_seen_at is null then 'never_seen' when {IsOverdue("se.last_seen_at")} then 'offline' else 'online' end)";

    /// <summary>How precise a report time is: a sensor's last_seen_at is written at most this often.</summary>
    public TimeSpan HeardPrecision => TimeSpan.FromSeconds(Math.Max(1, options.Value.LastSeenWriteSeconds));

    /// <summary>The query's own values with the ones the rule reads.</summary>
    public DynamicParameters Parameters(object values)
    {
        var o = options.Value;
        var parameters = new DynamicParameters(values);
        parameters.AddDynamicParams(new
        {
            heartbeatSeconds = o.HeartbeatSeconds,
            feedHeartbeatSeconds = o.FeedHeartbeatSeconds,
            overdueGraceSeconds = o.OverdueGraceSeconds,
            heartbeatKinds = o.HeartbeatSecondsByKind.Keys.ToArray(),
            kindHeartbeatSeconds = o.HeartbeatSecondsByKind.Values.ToArray(),
        });
        return parameters;
    }

    /// <summary>
    /// 1 while a report is not yet due (within one interval of the last), then falling linearly to 0 at the overdue
    /// limit, rounded to two decimals: a change-only sensor that promises to speak at least every interval is fully
    /// believed until then.
    /// </summary>
    public static double Confidence(TimeSpan age, int expectedSeconds, int overdueSeconds)
    {
        var seconds = age.TotalSeconds;
        if (seconds <= expectedSeconds) return 1;
        return Math.Round(Math.Clamp((overdueSeconds - seconds) / (overdueSeconds - expectedSeconds), 0, 1), 2);
    }

    /// <summary>
    /// The last report and rule of every space with a status or a sensor (one lot's with <paramref name="lotId"/>; only
    /// those heard after <paramref name="heardAfter"/> when given; only those in <paramref name="spaces"/> when given):
    /// what availability needs to show age and confidence. A sensor not heard from yet is included, so its space's first
    /// status already comes with its rule.
    /// </summary>
    public async Task<IReadOnlyList<SpaceReport>> SpaceReportsAsync(NpgsqlConnection connection, Guid? lotId, DateTimeOffset? heardAfter, CancellationToken ct,
        KeyRange? spaces = null)
    {
        var range = spaces ?? KeyRange.All;
        return (await connection.QueryAsync<SpaceReport>(new CommandDefinition($"""
            select coalesce(ss.space_id, se.space_id) as space_id, {SpaceHeardAt} as heard_at, {ExpectedSeconds} as expected_seconds, {OverdueSeconds} as overdue_seconds
            from (select * from space_status where space_id > @after and space_id <= @until) ss
            full join (select * from sensors where space_id > @after and space_id <= @until) se on se.space_id = ss.space_id
            left join sensor_lot_policies lp on lp.lot_id = coalesce(ss.lot_id, se.lot_id)
            where (@lotId::uuid is null or coalesce(ss.lot_id, se.lot_id) = @lotId)
              and (@heardAfter::timestamptz is null or {SpaceHeardAt} > @heardAfter)
            """, Parameters(new { lotId, heardAfter, after = range.After, until = range.Until }), cancellationToken: ct))).ToList();
    }

    /// <summary>Runs <paramref name="work"/> on each range of about <paramref name="size"/> spaces in turn, paced: a pass over every space a slice at a time.</summary>
    public static Task ForEachSpaceSliceAsync(NpgsqlConnection connection, int size, Func<KeyRange, CancellationToken, Task> work, CancellationToken ct) =>
        KeyRange.ForEachAsync(connection, "space_status", "space_id", size, work, ct);
}
