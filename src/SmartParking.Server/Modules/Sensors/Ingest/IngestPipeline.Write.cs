using System.Text;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;

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
        var events = new List<IDomainEvent>();
        if (rows.Count > 0)
        {
            events.AddRange(StatusEvents(await UpsertSpaceStatusAsync(connection, tx, rows, spacesChecked, ct)));
            events.AddRange(SensorEvents(await TouchSensorsAsync(connection, tx, rows, ct)));
        }
        if (heartbeats.Count > 0) events.AddRange(SensorEvents(await WriteHeartbeatsAsync(connection, tx, heartbeats, ct)));
        // The feed's notice and the batch's events go in one round trip, the last before the commit.
        var parameters = new DynamicParameters();
        var last = new StringBuilder();
        if (rows.Count > 0) last.Append($"select pg_notify('{PostgresNotifications.SpaceStatusChannel}', '');");
        if (events.Count > 0) last.Append(_outbox.AppendSql(parameters, events));
        if (last.Length > 0) await connection.ExecuteAsync(new CommandDefinition(last.ToString(), parameters, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>One event per tenant for the batch, not one per lot or reading: the log grows with batches.</summary>
    internal static IEnumerable<IDomainEvent> StatusEvents(List<ChangedSpace> changed) =>
        changed.GroupBy(c => c.TenantId).Select(tenant => new SpaceStatusChanged(tenant.Key,
            [.. tenant.Select(c => new SpaceStatusChange(c.LotId, c.SpaceId, ((SpaceStatus)c.Status).Name(), c.ChangedAt, c.StayStartedAt))]));

    private static IEnumerable<IDomainEvent> SensorEvents(List<SensorChange> changes)
    {
        foreach (var change in changes)
        {
            if (change.CameOnline) yield return new SensorCameOnline(change.Facts(), change.At!.Value);
            if (change.BatteryLow) yield return new SensorBatteryLow(change.Facts(), change.BatteryPercent!.Value);
        }
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

    // A reading changes a space's status when it says something else and the space was unknown or the last change is
    // older than the debounce window.
    private const string Changes = "excluded.status <> s.status and (s.status = 2 or excluded.observed_at >= s.changed_at + @debounce)";

    /// <summary>
    /// The database decides the state: a reading older than the stored one never overwrites it, and a change within the
    /// debounce window of the previous change is flapping. Only real changes take a new version (and reach the feed);
    /// those spaces are returned. A change sets changed_at to the reading's observed_at, while a write that changes
    /// nothing keeps an earlier changed_at under a later observed_at: their equality tells the changed rows apart.
    /// </summary>
    private async Task<List<ChangedSpace>> UpsertSpaceStatusAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Reading> rows, bool spacesChecked, CancellationToken ct)
    {
        var latest = rows.GroupBy(r => r.SpaceId).Select(g => g.MaxBy(r => r.ObservedAt)).ToList();
        var existing = spacesChecked ? $"where {LotsSql.SpaceExists("u.space_id")}" : "";
        return (await connection.QueryAsync<ChangedSpace>(new CommandDefinition($"""
            with written as (
            insert into space_status as s (space_id, tenant_id, lot_id, status, observed_at, changed_at, occupied_since)
            select u.space_id, u.tenant_id, u.lot_id, u.status, u.observed_at, u.observed_at, case when u.status = 1 then u.observed_at end
            from unnest(@spaceIds, @tenantIds, @lotIds, @statuses, @observed) as u(space_id, tenant_id, lot_id, status, observed_at)
            {existing}
            on conflict (space_id) do update set
                status = case when {Changes} then excluded.status else s.status end,
                changed_at = case when {Changes} then excluded.observed_at else s.changed_at end,
                version = case when {Changes} then nextval('space_status_version') else s.version end,
                occupied_since = case when {Changes}
                    then case excluded.status when 1 then coalesce(s.occupied_since, excluded.observed_at) when 0 then null else s.occupied_since end
                    else s.occupied_since end,
                ended_stay_started_at = case when excluded.status = 0 and {Changes}
                    then s.occupied_since else s.ended_stay_started_at end,
                observed_at = excluded.observed_at
            where excluded.observed_at > s.observed_at
            returning s.space_id, s.lot_id, s.tenant_id, s.status, s.changed_at, s.observed_at,
                case when s.status = 0 then s.ended_stay_started_at else s.occupied_since end as stay_started_at)
            select space_id, lot_id, tenant_id, status, changed_at, stay_started_at from written where changed_at = observed_at
            """, new
        {
            spaceIds = latest.Select(r => r.SpaceId).ToArray(),
            tenantIds = latest.Select(r => r.TenantId).ToArray(),
            lotIds = latest.Select(r => r.LotId).ToArray(),
            statuses = latest.Select(r => (short)r.Status).ToArray(),
            observed = latest.Select(r => r.ObservedAt.UtcDateTime).ToArray(),
            debounce = TimeSpan.FromSeconds(_options.Value.DebounceSeconds),
        }, tx, cancellationToken: ct))).ToList();
    }

    // Writing last_seen_at for every reading cost more database time than the readings themselves, so each sensor's
    // is written at most every Ingest:LastSeenWriteSeconds.
    private readonly Dictionary<Guid, DateTimeOffset> _touched = [];

    /// <summary>Writes last_seen_at; returns the sensors that were offline, now heard again.</summary>
    private async Task<List<SensorChange>> TouchSensorsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Reading> rows, CancellationToken ct)
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
        if (seen.Count == 0) return [];
        // The offline ones are found through the small index of offline sensors and read as they were before the update
        // (a statement's CTEs share one snapshot); joining each touched row to its old self cost as much as the touch.
        return (await connection.QueryAsync<SensorChange>(new CommandDefinition("""
            with offline as (
                select se.id, se.tenant_id, se.serial, se.lot_id, se.space_id from sensors se where se.offline_since is not null and se.id = any(@ids)),
            touched as (
                update sensors se set last_seen_at = greatest(se.last_seen_at, u.seen), offline_since = null
                from unnest(@ids, @at) as u(id, seen) where se.id = u.id)
            select o.id as sensor_id, o.tenant_id, o.serial, o.lot_id, o.space_id, u.seen as at, true as came_online
            from offline o join unnest(@ids, @at) as u(id, seen) on u.id = o.id
            """, new { ids = seen.Select(s => s.Id).ToArray(), at = seen.Select(s => s.At.UtcDateTime).ToArray() }, tx, cancellationToken: ct))).ToList();
    }

    /// <summary>Writes the heartbeats; returns the sensors that were offline and those whose battery just went low.</summary>
    private async Task<List<SensorChange>> WriteHeartbeatsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Heartbeat> heartbeats, CancellationToken ct)
    {
        var last = heartbeats.GroupBy(h => h.SensorId).Select(g => g.MaxBy(h => h.ReceivedAt)).ToList();
        // battery_low_at holds from the first low report until one above the limit, so each crossing is one event. Each
        // row is joined to itself as it was ("old", read under the version lock, which the health sweep takes too).
        return (await connection.QueryAsync<SensorChange>(new CommandDefinition("""
            with beaten as (
                update sensors se set last_seen_at = greatest(se.last_seen_at, u.seen),
                    battery_percent = coalesce(u.battery, se.battery_percent), signal_dbm = coalesce(u.signal, se.signal_dbm),
                    firmware = coalesce(u.firmware, se.firmware), offline_since = null,
                    battery_low_at = case when u.battery is null then se.battery_low_at when u.battery <= @lowBattery then coalesce(se.battery_low_at, u.seen) end
                from unnest(@ids, @at, @battery, @signal, @firmware) as u(id, seen, battery, signal, firmware), sensors old where se.id = u.id and old.id = se.id
                returning se.id as sensor_id, se.tenant_id, se.serial, se.lot_id, se.space_id, u.seen as at, old.offline_since is not null as came_online,
                    old.battery_low_at is null and se.battery_low_at is not null as battery_low, se.battery_percent)
            select * from beaten where came_online or battery_low
            """, new
        {
            ids = last.Select(h => h.SensorId).ToArray(),
            at = last.Select(h => h.ReceivedAt.UtcDateTime).ToArray(),
            battery = last.Select(h => h.BatteryPercent).ToArray(),
            signal = last.Select(h => h.SignalDbm).ToArray(),
            firmware = last.Select(h => h.Firmware).ToArray(),
            lowBattery = _options.Value.LowBatteryPercent,
        }, tx, cancellationToken: ct))).ToList();
    }


}
