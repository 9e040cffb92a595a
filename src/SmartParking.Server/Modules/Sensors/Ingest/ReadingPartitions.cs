using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// Daily partitions of sensor_readings: created on demand before a batch lands, archived to a verified file and then
/// dropped whole past retention.
/// </summary>
public sealed class ReadingPartitions(ReadingArchive archive, ILogger<ReadingPartitions> logger)
{
    private readonly ConcurrentDictionary<DateOnly, bool> _known = new();

    public static string NameOf(DateOnly day) => "sensor_readings_" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public async Task EnsureAsync(NpgsqlConnection connection, IEnumerable<DateOnly> days, CancellationToken ct)
    {
        foreach (var day in days)
        {
            if (_known.ContainsKey(day)) continue;
            var from = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var to = day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            try
            {
                await using var command = new NpgsqlCommand(
                    $"create table if not exists {NameOf(day)} partition of sensor_readings for values from ('{from} 00:00:00+00') to ('{to} 00:00:00+00')", connection);
                await command.ExecuteNonQueryAsync(ct);
            }
            // Another node created it between our check and our create.
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation) { }
            _known[day] = true;
        }
    }

    /// <summary>
    /// Drops partitions whose whole day is older than the retention, each only once its archive file is written and
    /// verified (a partition whose archive fails stays, and the next pass tries again); returns how many were dropped.
    /// </summary>
    public async Task<int> DropExpiredAsync(NpgsqlConnection connection, DateOnly oldestKept, CancellationToken ct)
    {
        var names = new List<string>();
        await using (var list = new NpgsqlCommand("""
            select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
            where p.relname = 'sensor_readings' and c.relname ~ '^sensor_readings_[0-9]{8}$'
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) names.Add(reader.GetString(0));

        var dropped = 0;
        foreach (var name in names)
        {
            var day = DateOnly.ParseExact(name["sensor_readings_".Length..], "yyyyMMdd", CultureInfo.InvariantCulture);
            if (day >= oldestKept) continue;
            if (archive.Directory is null)
                logger.LogWarning("Dropping reading partition {Partition} without an archive: Ingest:ArchiveDirectory is empty", name);
            else
            {
                try
                {
                    var file = await archive.WriteAsync(connection, name, day, ct);
                    logger.LogInformation("Archived reading partition {Partition} to {File}", name, file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    logger.LogError(e, "Reading partition {Partition} kept: its archive could not be written", name);
                    continue;
                }
            }
            await using var drop = new NpgsqlCommand($"drop table if exists {name}", connection);
            await drop.ExecuteNonQueryAsync(ct);
            _known.TryRemove(day, out _);
            dropped++;
            logger.LogInformation("Dropped reading partition {Partition} (older than {OldestKept})", name, oldestKept);
        }
        return dropped;
    }
}
