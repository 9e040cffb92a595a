using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// Day partitions of sensor_readings as files: sensor_readings_YYYYMMDD.csv.gz (CSV with a header, times in UTC to the
/// microsecond) and beside it a .sha256 in sha256sum's format. A file is complete only once it is on disk, fsynced,
/// read back whole and found to hold every row of the partition; only then may the partition go.
/// </summary>
public sealed class ReadingArchive(IOptions<IngestOptions> ingest, IOptions<DatabaseOptions> database, IHostEnvironment environment)
{
    private const string Header = "observed_at,received_at,space_id,sensor_id,tenant_id,status,source";
    private const string Columns = "observed_at, received_at, space_id, sensor_id, tenant_id, status, source";
    private const string Utc = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

    /// <summary>The archive directory, or null when archiving is switched off (Ingest:ArchiveDirectory set to empty).</summary>
    public string? Directory => ingest.Value.ArchiveDirectory switch
    {
        null => Path.Combine(Path.GetFullPath(database.Value.DataDirectory, environment.ContentRootPath), "reading-archive"),
        "" => null,
        var configured => Path.GetFullPath(configured, environment.ContentRootPath),
    };

    /// <summary>The command that re-imports an archive: <c>dotnet run --project src/SmartParking.Server -- readings-import FILE</c>.</summary>
    public const string ImportCommand = "readings-import";

    /// <summary>Runs the import command against the configured database; returns the process exit code.</summary>
    public static async Task<int> RunImportCommandAsync(IServiceProvider services, string path, TextWriter output, TextWriter error)
    {
        try
        {
            var db = services.GetRequiredService<NpgsqlDataSource>();
            await using var connection = await db.OpenConnectionAsync();
            var inserted = await services.GetRequiredService<ReadingArchive>().ImportAsync(connection, services.GetRequiredService<ReadingPartitions>(), path, CancellationToken.None);
            await output.WriteLineAsync($"Imported {inserted} readings from {path} (rows already present were skipped).");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or PostgresException)
        {
            await error.WriteLineAsync($"{ImportCommand}: {e.Message}");
            return 1;
        }
    }

    public static string FileNameOf(DateOnly day) => ReadingPartitions.NameOf(day) + ".csv.gz";

    /// <summary>Writes and verifies one partition's file; throws (and leaves no file under the final name) if anything is amiss.</summary>
    public async Task<string> WriteAsync(NpgsqlConnection connection, string partition, DateOnly day, CancellationToken ct)
    {
        var directory = Directory ?? throw new InvalidOperationException("Reading archive is switched off (Ingest:ArchiveDirectory is empty)");
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileNameOf(day));
        var partial = path + ".partial";
        long expected;
        await using (var count = new NpgsqlCommand($"select count(*) from {partition}", connection))
            expected = (long)(await count.ExecuteScalarAsync(ct))!;

        long written = 0;
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
            await using (var writer = new StreamWriter(gzip))
            using (var rows = await connection.BeginTextExportAsync($"""
                copy (select to_char(observed_at at time zone 'UTC', {Utc}), to_char(received_at at time zone 'UTC', {Utc}),
                             space_id, sensor_id, tenant_id, status, source
                      from {partition} order by observed_at) to stdout (format csv)
                """, ct))
            {
                await writer.WriteLineAsync(Header);
                // Every field is a time, id or number: one line is one row.
                while (await rows.ReadLineAsync(ct) is { } line)
                {
                    await writer.WriteLineAsync(line);
                    written++;
                }
            }
            file.Flush(flushToDisk: true);
        }
        var checksum = await Sha256Async(partial, ct);
        var rowsOnDisk = await ReadBackAsync(partial, ct);
        if (written != expected || rowsOnDisk != expected)
        {
            File.Delete(partial);
            throw new IOException($"Archive of {partition} holds {rowsOnDisk} rows, the partition {expected}");
        }
        await WriteDurablyAsync(path + ".sha256", $"{checksum}  {Path.GetFileName(path)}\n", ct);
        File.Move(partial, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// Puts an archived day back: the rows not already there are inserted (a second import adds nothing). The file must
    /// match its .sha256.
    /// </summary>
    public async Task<long> ImportAsync(NpgsqlConnection connection, ReadingPartitions partitions, string path, CancellationToken ct)
    {
        var sidecar = path + ".sha256";
        if (!File.Exists(sidecar)) throw new InvalidDataException($"{sidecar} is missing: the archive cannot be verified");
        var expected = (await File.ReadAllTextAsync(sidecar, ct)).Split(' ', 2)[0].Trim();
        var actual = await Sha256Async(path, ct);
        if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path} does not match its checksum (expected {expected}, found {actual})");

        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var create = new NpgsqlCommand($"""
            create temp table reading_import (observed_at timestamptz, received_at timestamptz, space_id uuid, sensor_id uuid,
                tenant_id uuid, status smallint, source smallint) on commit drop
            """, connection, tx))
            await create.ExecuteNonQueryAsync(ct);
        await using (var file = File.OpenRead(path))
        await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip))
        await using (var import = await connection.BeginTextImportAsync($"copy reading_import ({Columns}) from stdin (format csv, header)", ct))
        {
            while (await reader.ReadLineAsync(ct) is { } line) await import.WriteLineAsync(line);
        }
        var days = new List<DateOnly>();
        await using (var list = new NpgsqlCommand("select distinct (observed_at at time zone 'UTC')::date from reading_import", connection, tx))
        await using (var found = await list.ExecuteReaderAsync(ct))
            while (await found.ReadAsync(ct)) days.Add(DateOnly.FromDateTime(found.GetDateTime(0)));
        await partitions.EnsureAsync(connection, days, ct);
        await using var insert = new NpgsqlCommand($"""
            insert into sensor_readings ({Columns})
            select {Columns} from reading_import
            except all
            select {Columns} from sensor_readings
            where observed_at >= (select min(observed_at) from reading_import) and observed_at <= (select max(observed_at) from reading_import)
            """, connection, tx);
        var inserted = await insert.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return inserted;
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
    }

    /// <summary>Decompresses the whole file (a truncated or corrupt one throws) and counts its data rows.</summary>
    private static async Task<long> ReadBackAsync(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var header = await reader.ReadLineAsync(ct);
        if (header != Header) throw new InvalidDataException($"{path} does not start with the archive header");
        long rows = 0;
        while (await reader.ReadLineAsync(ct) is not null) rows++;
        return rows;
    }

    private static async Task WriteDurablyAsync(string path, string text, CancellationToken ct)
    {
        var partial = path + ".partial";
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text), ct);
            file.Flush(flushToDisk: true);
        }
        File.Move(partial, path, overwrite: true);
    }
}
