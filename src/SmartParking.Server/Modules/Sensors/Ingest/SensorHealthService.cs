using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// On one node at a time (a transaction-scoped advisory lock): spaces whose sensor is overdue (by its own interval, see
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

    public async Task<int> SweepAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_xact_lock(@LockKey)", new { LockKey }, tx, cancellationToken: ct)))
            return 0;
        // Versions must commit in the order they are taken (see IngestPipeline.SpaceStatusVersionLock).
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@key)", new { key = IngestPipeline.SpaceStatusVersionLock }, tx, cancellationToken: ct));
        var now = time.GetUtcNow();
        // One statement whatever the number of sensors: each space's cutoff comes from its own sensor's interval.
        var unknown = (await connection.QueryAsync<ChangedSpace>(new CommandDefinition($"""
            update space_status s set status = 2, changed_at = @now, version = nextval('space_status_version')
            where s.status <> 2 and s.status <> 3 and s.space_id in (
                select ss.space_id from space_status ss {SensorReporting.SpaceJoins}
                where ss.status <> 2 and ss.status <> 3 and {SensorReporting.IsOverdue(SensorReporting.SpaceHeardAt)})
            returning s.space_id, s.lot_id, s.tenant_id, s.status, s.changed_at, s.occupied_since as stay_started_at
            """, reporting.Parameters(new { now }), tx, cancellationToken: ct))).ToList();
        if (unknown.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition($"select pg_notify('{PostgresNotifications.SpaceStatusChannel}', '')", transaction: tx, cancellationToken: ct));
            logger.LogInformation("{Count} spaces became unknown: their sensors are overdue", unknown.Count);
        }
        // Also one statement whatever the number of sensors; a sensor never heard from has not gone offline.
        var wentOffline = (await connection.QueryAsync<SensorChange>(new CommandDefinition($"""
            update sensors s set offline_since = @now
            where s.offline_since is null and s.id in (
                select se.id from sensors se {SensorReporting.SensorJoins}
                where se.offline_since is null and se.last_seen_at is not null and {SensorReporting.IsOverdue("se.last_seen_at")})
            returning s.id as sensor_id, s.tenant_id, s.serial, s.lot_id, s.space_id, s.last_seen_at as at
            """, reporting.Parameters(new { now }), tx, cancellationToken: ct))).ToList();
        if (wentOffline.Count > 0) logger.LogInformation("{Count} sensors went offline", wentOffline.Count);
        await outbox.AppendAsync(connection, tx,
            [.. IngestPipeline.StatusEvents(unknown), .. wentOffline.Select(s => (IDomainEvent)new SensorWentOffline(s.Facts(), s.At))], ct);
        if (now - _partitionsEnsuredAt > TimeSpan.FromHours(1))
        {
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            await partitions.EnsureAsync(connection, [today, today.AddDays(1)], ct);
            _partitionsEnsuredAt = now;
        }
        await tx.CommitAsync(ct);
        return unknown.Count;
    }
}
