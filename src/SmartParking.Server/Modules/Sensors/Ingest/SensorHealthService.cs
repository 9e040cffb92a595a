using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// On one node at a time (a session advisory lock held through the sweep): spaces whose sensor is overdue (by its own interval, see
/// <see cref="SensorReporting"/>) become unknown (SpaceStatusChanged per tenant), sensors turning overdue are recorded as gone offline (once per silence:
/// their next message clears offline_since), and reading partitions are created ahead (the retention job drops
/// them past retention: <see cref="ReadingRetention"/>).
/// </summary>
public sealed class SensorHealthService(NpgsqlDataSource db, ReadingPartitions partitions, SensorReporting reporting, EventOutbox outbox, IOptions<IngestOptions> options,
    TimeProvider time, ILogger<SensorHealthService> logger) : BackgroundService
{
    private const long LockKey = 0x5350_4845_414C;
    private DateTimeOffset _partitionsEnsuredAt = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HealthSweepSeconds), time);
        do
        {
            try { await SweepAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning("Sensor health sweep skipped: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }

    /// <summary>Spaces, then sensors, looked at per slice of a sweep; the sweep pauses after each slice twice as long as it took.</summary>
    internal int RowsPerSlice { get; set; } = 5_000;

    /// <summary>One sweep, a slice of the spaces and then of the sensors at a time (<see cref="Paced"/>).</summary>
    /// <returns>How many spaces became unknown.</returns>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Held on this connection for the whole sweep, and released with it if the node dies.
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: ct)))
            return 0;
        try
        {
            var now = time.GetUtcNow();
            var unknown = 0;
            await SensorReporting.ForEachSpaceSliceAsync(connection, RowsPerSlice,
                async (range, token) => unknown += await MarkSpacesUnknownAsync(connection, range, now, token), ct);
            await KeyRange.ForEachAsync(connection, "sensors", "id", RowsPerSlice, (range, token) => MarkSensorsOfflineAsync(connection, range, now, token), ct);
            if (now - _partitionsEnsuredAt > TimeSpan.FromHours(1))
            {
                var today = DateOnly.FromDateTime(now.UtcDateTime);
                await partitions.EnsureAsync(connection, [today, today.AddDays(1)], ct);
                _partitionsEnsuredAt = now;
            }
            return unknown;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>The range's spaces whose sensor is overdue become unknown (SpaceStatusChanged per tenant).</summary>
    private async Task<int> MarkSpacesUnknownAsync(NpgsqlConnection connection, KeyRange range, DateTimeOffset now, CancellationToken ct)
    {
        // Looked for without a lock, so a slice with no space overdue (nearly every one) never holds up ingest.
        var overdue = (await connection.QueryAsync<Guid>(new CommandDefinition($"""
            select ss.space_id from space_status ss {SensorReporting.SpaceJoinsInSlice}
            where ss.space_id > @after and ss.space_id <= @until and ss.status <> 2 and ss.status <> 3 and {SensorReporting.IsOverdue(SensorReporting.SpaceHeardAt)}
            """, reporting.Parameters(new { now, after = range.After, until = range.Until }), cancellationToken: ct))).ToArray();
        if (overdue.Length == 0) return 0;
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Versions must commit in the order they are taken (see IngestPipeline.SpaceStatusVersionLock).
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@key)", new { key = IngestPipeline.SpaceStatusVersionLock }, tx, cancellationToken: ct));
        // Checked again under the lock: a reading may have come in meanwhile. Each space's cutoff is its own sensor's.
        var unknown = (await connection.QueryAsync<ChangedSpace>(new CommandDefinition($"""
            update space_status s set status = 2, changed_at = @now, version = nextval('space_status_version')
            where s.space_id = any(@overdue) and s.status <> 2 and s.status <> 3 and s.space_id in (
                select ss.space_id from space_status ss {SensorReporting.SpaceJoins}
                where ss.space_id = any(@overdue) and ss.status <> 2 and ss.status <> 3 and {SensorReporting.IsOverdue(SensorReporting.SpaceHeardAt)})
            returning s.space_id, s.lot_id, s.tenant_id, s.status, s.changed_at, s.occupied_since as stay_started_at
            """, reporting.Parameters(new { now, overdue }), tx, cancellationToken: ct))).ToList();
        if (unknown.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition($"select pg_notify('{PostgresNotifications.SpaceStatusChannel}', '')", transaction: tx, cancellationToken: ct));
            await outbox.AppendAsync(connection, tx, [.. IngestPipeline.StatusEvents(unknown)], ct);
            logger.LogInformation("{Count} spaces became unknown: their sensors are overdue", unknown.Count);
        }
        await tx.CommitAsync(ct);
        return unknown.Count;
    }

    /// <summary>The range's sensors turning overdue are recorded as gone offline, once per silence; one never heard from has not.</summary>
    private async Task MarkSensorsOfflineAsync(NpgsqlConnection connection, KeyRange range, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        var wentOffline = (await connection.QueryAsync<SensorChange>(new CommandDefinition($"""
            update sensors s set offline_since = @now
            where s.offline_since is null and s.id in (
                select se.id from sensors se {SensorReporting.SensorJoins}
                where se.id > @after and se.id <= @until and se.offline_since is null and se.last_seen_at is not null
                  and {SensorReporting.IsOverdue("se.last_seen_at")})
            returning s.id as sensor_id, s.tenant_id, s.serial, s.lot_id, s.space_id, s.last_seen_at as at
            """, reporting.Parameters(new { now, after = range.After, until = range.Until }), tx, cancellationToken: ct))).ToList();
        if (wentOffline.Count > 0)
        {
            await outbox.AppendAsync(connection, tx, [.. wentOffline.Select(s => (IDomainEvent)new SensorWentOffline(s.Facts(), s.At))], ct);
            logger.LogInformation("{Count} sensors went offline", wentOffline.Count);
        }
        await tx.CommitAsync(ct);
    }
}
