using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Operations;

/// <summary>
/// The documented backup path end to end on a throwaway cluster of its own (the server's embedded kind): archiving on,
/// a base backup, more writes, a point-in-time restore into a new directory, and the restored cluster opened.
/// </summary>
public sealed class BackupRecoveryTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sp-backup-test-" + Guid.NewGuid().ToString("N")[..10]);
    private LocalPostgres? _source;
    private LocalPostgres? _restored;

    private string SourceDirectory => Path.Combine(_directory, "source");
    private string RestoredDirectory => Path.Combine(_directory, "restored");
    private string Archive => Path.Combine(_directory, "archive");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_restored is not null) await _restored.StopAsync(CancellationToken.None);
        if (_source is not null) await _source.StopAsync(CancellationToken.None);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Restore_ToATimeBetweenWrites_HasExactlyTheRowsCommittedBeforeIt()
    {
        _source = new LocalPostgres(SourceDirectory, NullLogger.Instance);
        var connectionString = await _source.StartAsync(CancellationToken.None);
        var environment = LibpqEnvironment(connectionString);
        (await BackupScript.RunAsync(environment, "configure", "--pgdata", _source.ClusterDirectory, "--archive", Archive, "--archive-timeout", "60"))
            .ShouldSucceed();

        await using var source = NpgsqlDataSource.Create(connectionString);
        await ExecuteAsync(source, "create table probe (n int primary key, phase text not null)");
        await InsertAsync(source, 1, 100, "before-backup");
        var backup = (await BackupScript.RunAsync(environment, "base-backup", "--backup-dir", Path.Combine(_directory, "backups"))).ShouldSucceed().Output;
        await InsertAsync(source, 101, 200, "after-backup");
        var target = await ScalarAsync<string>(source, "select clock_timestamp()::text");
        await InsertAsync(source, 201, 300, "after-target");
        // The segment holding the last commits must reach the archive before a restore can replay them.
        var lastSegment = await ScalarAsync<string>(source, "select pg_walfile_name(pg_switch_wal())");
        await Poll.UntilAsync(() => ScalarAsync<string>(source, "select coalesce(last_archived_wal, '') from pg_stat_archiver"),
            archived => string.CompareOrdinal(archived, lastSegment) >= 0, TimeSpan.FromSeconds(60), $"WAL segment {lastSegment} archived");

        var clusterDirectory = Path.Combine(RestoredDirectory, "postgres");
        Directory.CreateDirectory(RestoredDirectory);
        (await BackupScript.RunAsync(environment, "restore", "--from", backup, "--archive", Archive, "--pgdata", clusterDirectory,
            "--target-time", target, "--port", FreePorts.One().ToString(), "--start")).ShouldSucceed();

        // The restored cluster keeps the source's sign-in; the embedded-cluster wrapper adopts it as running.
        File.Copy(Path.Combine(SourceDirectory, "postgres.password"), Path.Combine(RestoredDirectory, "postgres.password"));
        _restored = new LocalPostgres(RestoredDirectory, NullLogger.Instance);
        await using var restored = NpgsqlDataSource.Create(await _restored.StartAsync(CancellationToken.None));
        var phases = new Dictionary<string, long>();
        await using (var reader = await restored.CreateCommand("select phase, count(*) from probe group by phase").ExecuteReaderAsync())
            while (await reader.ReadAsync()) phases[reader.GetString(0)] = reader.GetInt64(1);
        phases.ShouldBe(new Dictionary<string, long> { ["before-backup"] = 100, ["after-backup"] = 100 }, ignoreOrder: true);
        // Promoted at the target: it takes writes on its own timeline.
        await ExecuteAsync(restored, "insert into probe values (301, 'after-restore')");
    }

    [Fact]
    public async Task Prune_KeepOne_RemovesOlderBackupsAndTheWalOnlyTheyNeeded()
    {
        _source = new LocalPostgres(SourceDirectory, NullLogger.Instance);
        var connectionString = await _source.StartAsync(CancellationToken.None);
        var environment = LibpqEnvironment(connectionString);
        (await BackupScript.RunAsync(environment, "configure", "--pgdata", _source.ClusterDirectory, "--archive", Archive)).ShouldSucceed();
        await using var source = NpgsqlDataSource.Create(connectionString);
        var backups = Path.Combine(_directory, "backups");
        var first = (await BackupScript.RunAsync(environment, "base-backup", "--backup-dir", backups)).ShouldSucceed().Output;
        // Base backups are named by the second they start in.
        await Poll.UntilAsync(() => Task.FromResult($"base-{DateTime.UtcNow:yyyyMMdd'T'HHmmss}Z"), name => name != Path.GetFileName(first),
            TimeSpan.FromSeconds(5), "the next second");
        var second = (await BackupScript.RunAsync(environment, "base-backup", "--backup-dir", backups)).ShouldSucceed().Output;
        var secondStart = File.ReadLines(Path.Combine(second, "backup_label")).First(l => l.StartsWith("START WAL LOCATION", StringComparison.Ordinal))[^25..^1];
        // A switch right after a backup's own would be a no-op: write something first.
        await ExecuteAsync(source, "create table after_second_backup (n int)");
        await ExecuteAsync(source, "select pg_switch_wal()");
        await Poll.UntilAsync(() => Task.FromResult(Segments()), segments => segments.Any(s => string.CompareOrdinal(s, secondStart) > 0),
            TimeSpan.FromSeconds(60), "a segment after the second backup archived");
        Segments().ShouldContain(s => string.CompareOrdinal(s, secondStart) < 0, "segments from before the second backup, to prune");

        (await BackupScript.RunAsync(environment, "prune", "--backup-dir", backups, "--archive", Archive, "--keep", "1")).ShouldSucceed();

        Directory.GetDirectories(backups).ShouldBe([second]);
        Segments().ShouldNotBeEmpty();
        Segments().ShouldAllBe(s => string.CompareOrdinal(s, secondStart) >= 0);
    }

    [Fact]
    public async Task Restore_FromSomethingThatIsNotABackup_FailsWithOneLineNamingTheOption()
    {
        var result = await BackupScript.RunAsync(new Dictionary<string, string>(), "restore", "--from", _directory, "--archive", Archive,
            "--pgdata", RestoredDirectory, "--target-time", "2026-12-06 04:00:00+00");

        result.ExitCode.ShouldBe(1);
        result.Stderr.Trim().Split('\n').ShouldHaveSingleItem().ShouldStartWith($"pg-backup: --from {_directory} is not a base backup");
        Directory.Exists(RestoredDirectory).ShouldBeFalse();
    }

    /// <summary>The archived WAL segments (24 hex digits), without backup history and timeline files.</summary>
    private string[] Segments() =>
        [.. Directory.GetFiles(Archive).Select(Path.GetFileName).Where(n => n!.Length == 24 && n.All(char.IsAsciiHexDigitUpper)).Order()!];

    private static Dictionary<string, string> LibpqEnvironment(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new Dictionary<string, string>
        {
            ["PGHOST"] = builder.Host!, ["PGPORT"] = builder.Port.ToString(), ["PGUSER"] = builder.Username!,
            ["PGPASSWORD"] = builder.Password!, ["PGDATABASE"] = builder.Database!,
        };
    }

    private static Task InsertAsync(NpgsqlDataSource sql, int from, int to, string phase) =>
        ExecuteAsync(sql, $"insert into probe select n, '{phase}' from generate_series({from}, {to}) n");

    private static async Task ExecuteAsync(NpgsqlDataSource sql, string command)
    {
        await using var cmd = sql.CreateCommand(command);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource sql, string query)
    {
        await using var cmd = sql.CreateCommand(query);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
