using Dapper;
using Npgsql;
using NpgsqlTypes;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Modules.Sensors.Ingest;

public sealed partial class IngestPipeline
{
    /// <summary>
    /// Held (transaction-scoped) by every transaction that gives space_status a new version, from taking it to commit, on
    /// every node. The change feed reads "versions after the last one seen", so versions must become visible in the order
    /// they are taken: without this, a writer that took version N but commits after another writer's N+1 is never seen.
    /// </summary>
    public const long SpaceStatusVersionLock = 0x5350_5645_5253;

    // What the writer remembers per space to recognise exact duplicates (a device or gateway retrying).
    private sealed class RecentReadings
    {
        private const int Size = 4;
        private readonly (long Ticks, SpaceStatus Status)[] _items = new (long, SpaceStatus)[Size];
        private int _next;

        public bool Contains(long ticks, SpaceStatus status) => Array.IndexOf(_items, (ticks, status)) >= 0;

        public void Add(long ticks, SpaceStatus status)
        {
            _items[_next] = (ticks, status);
            _next = (_next + 1) % Size;
        }
    }

    /// <summary>
    /// One batch on its way to the database: the rows to write (exact duplicates left out), its heartbeats, and the
    /// outcome of every submitted item, filled in as pieces of it are written or refused.
    /// </summary>
    private sealed class BatchWork
    {
        public List<Reading> Rows { get; } = [];
        public List<(int Submission, int Position)> RowOwners { get; } = [];
        public List<(Heartbeat Beat, int Submission)> Heartbeats { get; } = [];
        public List<IngestOutcome[]> Outcomes { get; } = [];

        public int[] AllRows() => [.. Enumerable.Range(0, Rows.Count)];

        public int[] AllHeartbeats() => [.. Enumerable.Range(0, Heartbeats.Count)];

        public void Settle(int[] rows, int[] heartbeats, IngestOutcome outcome)
        {
            foreach (var row in rows)
            {
                var (submission, position) = RowOwners[row];
                Outcomes[submission][position] = outcome;
            }
            foreach (var beat in heartbeats) Outcomes[Heartbeats[beat].Submission][0] = outcome;
        }
    }

    private BatchWork Deduplicate(List<Submission> batch)
    {
        var work = new BatchWork();
        var inBatch = new HashSet<(Guid, long, SpaceStatus)>();
        // Remembered only once written, so two batches in flight may both hold a retry of one reading: it is then
        // stored twice, which is better than answering "duplicate" for a reading whose write may still fail.
        lock (_recentGate)
        {
            for (var s = 0; s < batch.Count; s++)
            {
                var submission = batch[s];
                if (submission.Heartbeat is { } beat)
                {
                    work.Heartbeats.Add((beat, s));
                    work.Outcomes.Add([IngestOutcome.Accepted]);
                    continue;
                }
                var result = new IngestOutcome[submission.Readings.Length];
                for (var i = 0; i < result.Length; i++)
                {
                    var r = submission.Readings[i];
                    var ticks = r.ObservedAt.UtcTicks;
                    var seen = (_recent.TryGetValue(r.SpaceId, out var recent) && recent.Contains(ticks, r.Status)) || !inBatch.Add((r.SpaceId, ticks, r.Status));
                    if (seen) result[i] = IngestOutcome.Duplicate;
                    else
                    {
                        result[i] = IngestOutcome.Accepted;
                        work.RowOwners.Add((s, i));
                        work.Rows.Add(r);
                    }
                }
                work.Outcomes.Add(result);
            }
        }
        return work;
    }

    private void Remember(List<Reading> rows)
    {
        lock (_recentGate)
        {
            // Bounded: a city's worth of spaces is fine; beyond that start afresh rather than grow without limit.
            if (_recent.Count > 2_000_000) _recent.Clear();
            foreach (var r in rows)
            {
                if (!_recent.TryGetValue(r.SpaceId, out var recent)) _recent[r.SpaceId] = recent = new RecentReadings();
                recent.Add(r.ObservedAt.UtcTicks, r.Status);
            }
        }
    }

    /// <param name="spacesChecked">
    /// Join the spaces table to leave out readings for spaces deleted since they were resolved. Normally the ids from the
    /// sensor directory are trusted (the join costs a third of the statement); a foreign-key violation retries the
    /// batch with the check.
    /// </param>
    private async Task WriteAsync(List<Reading> rows, List<Heartbeat> heartbeats, bool spacesChecked, CancellationToken ct)
    {
        if (rows.Count == 0 && heartbeats.Count == 0) return;
        await using var connection = await _db.OpenConnectionAsync(ct);
        await _partitions.EnsureAsync(connection, rows.Select(r => DateOnly.FromDateTime(r.ObservedAt.UtcDateTime)).Distinct(), ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The COPY runs outside the lock, so another writer's state update can overlap it. Everything that updates
        // shared rows (space_status, sensors) comes after the lock, in one order on every node: no deadlocks.
        if (rows.Count > 0) await CopyReadingsAsync(connection, rows, ct);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(@SpaceStatusVersionLock)", new { SpaceStatusVersionLock }, tx, cancellationToken: ct));
        if (rows.Count > 0)
        {
            await UpsertSpaceStatusAsync(connection, tx, rows, spacesChecked, ct);
            await TouchSensorsAsync(connection, tx, rows, ct);
            await connection.ExecuteAsync(new CommandDefinition($"select pg_notify('{PostgresNotifications.SpaceStatusChannel}', '')", transaction: tx, cancellationToken: ct));
        }
        if (heartbeats.Count > 0) await WriteHeartbeatsAsync(connection, tx, heartbeats, ct);
        await tx.CommitAsync(ct);
    }

    private static async Task CopyReadingsAsync(NpgsqlConnection connection, List<Reading> rows, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "copy sensor_readings (observed_at, received_at, space_id, sensor_id, tenant_id, status, source) from stdin (format binary)", ct);
        foreach (var r in rows)
        {
            // Synchronous writes fill Npgsql's buffer; it flushes by itself, and per-field awaits would dominate the cost.
            importer.StartRow();
            importer.Write(r.ObservedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            importer.Write(r.ReceivedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            importer.Write(r.SpaceId, NpgsqlDbType.Uuid);
            if (r.SensorId is { } sensor) importer.Write(sensor, NpgsqlDbType.Uuid); else importer.WriteNull();
            importer.Write(r.TenantId, NpgsqlDbType.Uuid);
            importer.Write((short)r.Status, NpgsqlDbType.Smallint);
            importer.Write((short)r.Source, NpgsqlDbType.Smallint);
        }
        await importer.CompleteAsync(ct);
    }

    /// <summary>
    /// The database decides the state: a reading older than the stored one never overwrites it, and a change within the
    /// debounce window of the previous change is flapping. Only real changes take a new version (and reach the feed).
    /// </summary>
    private async Task UpsertSpaceStatusAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Reading> rows, bool spacesChecked, CancellationToken ct)
    {
        var latest = rows.GroupBy(r => r.SpaceId).Select(g => g.MaxBy(r => r.ObservedAt)).ToList();
        var existing = spacesChecked ? "where exists (select 1 from spaces sp where sp.id = u.space_id)" : "";
        await connection.ExecuteAsync(new CommandDefinition($"""
            insert into space_status as s (space_id, tenant_id, lot_id, status, observed_at, changed_at)
            select u.space_id, u.tenant_id, u.lot_id, u.status, u.observed_at, u.observed_at
            from unnest(@spaceIds, @tenantIds, @lotIds, @statuses, @observed) as u(space_id, tenant_id, lot_id, status, observed_at)
            {existing}
            on conflict (space_id) do update set
                status = case when excluded.status <> s.status and (s.status = 2 or excluded.observed_at >= s.changed_at + @debounce) then excluded.status else s.status end,
                changed_at = case when excluded.status <> s.status and (s.status = 2 or excluded.observed_at >= s.changed_at + @debounce) then excluded.observed_at else s.changed_at end,
                version = case when excluded.status <> s.status and (s.status = 2 or excluded.observed_at >= s.changed_at + @debounce) then nextval('space_status_version') else s.version end,
                observed_at = excluded.observed_at
            where excluded.observed_at > s.observed_at
            """, new
        {
            spaceIds = latest.Select(r => r.SpaceId).ToArray(),
            tenantIds = latest.Select(r => r.TenantId).ToArray(),
            lotIds = latest.Select(r => r.LotId).ToArray(),
            statuses = latest.Select(r => (short)r.Status).ToArray(),
            observed = latest.Select(r => r.ObservedAt.UtcDateTime).ToArray(),
            debounce = TimeSpan.FromSeconds(_options.Value.DebounceSeconds),
        }, tx, cancellationToken: ct));
    }

    // Writing last_seen_at for every reading cost more database time than the readings themselves, so each sensor's
    // is written at most every Ingest:LastSeenWriteSeconds.
    private readonly Dictionary<Guid, DateTimeOffset> _touched = [];

    private async Task TouchSensorsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Reading> rows, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(_options.Value.LastSeenWriteSeconds);
        List<(Guid Id, DateTimeOffset At)> seen;
        lock (_touched)
        {
            if (_touched.Count > 2_000_000) _touched.Clear();
            seen = rows.Where(r => r.SensorId is not null).GroupBy(r => r.SensorId!.Value).Select(g => (Id: g.Key, At: g.Max(r => r.ReceivedAt)))
                .Where(s => !_touched.TryGetValue(s.Id, out var last) || s.At - last >= interval)
                .ToList();
            // Remembered before the commit; a failed batch is retried as a whole, and a missed touch only delays last_seen by one interval.
            foreach (var s in seen) _touched[s.Id] = s.At;
        }
        if (seen.Count == 0) return;
        await connection.ExecuteAsync(new CommandDefinition("""
            update sensors se set last_seen_at = greatest(se.last_seen_at, u.seen)
            from unnest(@ids, @at) as u(id, seen) where se.id = u.id
            """, new { ids = seen.Select(s => s.Id).ToArray(), at = seen.Select(s => s.At.UtcDateTime).ToArray() }, tx, cancellationToken: ct));
    }

    private static async Task WriteHeartbeatsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Heartbeat> heartbeats, CancellationToken ct)
    {
        var last = heartbeats.GroupBy(h => h.SensorId).Select(g => g.MaxBy(h => h.ReceivedAt)).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            update sensors se set last_seen_at = greatest(se.last_seen_at, u.seen),
                battery_percent = coalesce(u.battery, se.battery_percent), signal_dbm = coalesce(u.signal, se.signal_dbm),
                firmware = coalesce(u.firmware, se.firmware)
            from unnest(@ids, @at, @battery, @signal, @firmware) as u(id, seen, battery, signal, firmware) where se.id = u.id
            """, new
        {
            ids = last.Select(h => h.SensorId).ToArray(),
            at = last.Select(h => h.ReceivedAt.UtcDateTime).ToArray(),
            battery = last.Select(h => h.BatteryPercent).ToArray(),
            signal = last.Select(h => h.SignalDbm).ToArray(),
            firmware = last.Select(h => h.Firmware).ToArray(),
        }, tx, cancellationToken: ct));
    }
}
