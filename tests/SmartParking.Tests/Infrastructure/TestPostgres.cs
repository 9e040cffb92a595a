using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// The one PostgreSQL server of the test process: the one named by SMARTPARKING_TEST_PG (a superuser
/// connection string), or else a private cluster started with the server's own <see cref="LocalPostgres"/>
/// and removed at process exit. Test classes get their own database, copied from a migrated template.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "SMARTPARKING_TEST_PG";
    private const string DataDirectoryPrefix = "smartparking-tests-";

    /// <summary>
    /// Where test clusters live: in memory (/dev/shm) where there is one with room (a container's is often 64 MB). A suite
    /// creates and drops a database per test class, hundreds of files each time, and on a disk file system that file
    /// churn was a fifth of the run's CPU.
    /// </summary>
    public static string ScratchRoot { get; } = RoomIn("/dev/shm") >= 4L << 30 ? "/dev/shm" : Path.GetTempPath();

    private static long RoomIn(string directory)
    {
        try { return Directory.Exists(directory) ? new DriveInfo(directory).AvailableFreeSpace : 0; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return 0; }
    }

    // xunit 2 has no assembly fixtures; a lazy static is the process-wide equivalent.
    private static readonly Lazy<Task<Cluster>> Instance = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    // CREATE DATABASE ... TEMPLATE fails while anything else touches the template; one at a time keeps it simple.
    private static readonly SemaphoreSlim CreateLock = new(1, 1);

    private sealed record Cluster(string AdminConnectionString, LocalPostgres? Local, string? DataDirectory);

    /// <summary>A superuser connection string to the maintenance database "postgres".</summary>
    public static async Task<string> AdminConnectionStringAsync() => (await Instance.Value).AdminConnectionString;

    /// <summary>Creates a fresh, fully migrated database for one test class.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync(string owner)
    {
        var template = await Template.Value;
        return await CreateAsync(owner, template);
    }

    /// <summary>Creates an empty database (no migrations), for tests of the migrator itself.</summary>
    public static Task<TestDatabase> CreateEmptyDatabaseAsync(string owner) => CreateAsync(owner, "template1");

    public static async Task DropDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(Unpooled(await AdminConnectionStringAsync()));
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists {Quote(name)} with (force)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<TestDatabase> CreateAsync(string owner, string template)
    {
        var admin = await AdminConnectionStringAsync();
        var safeOwner = new string(owner.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());
        var name = $"sp_test_{safeOwner[..Math.Min(30, safeOwner.Length)]}_{Guid.NewGuid().ToString("N")[..10]}";
        await CreateLock.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(Unpooled(admin));
            await connection.OpenAsync();
            await using (var create = new NpgsqlCommand($"create database {Quote(name)} template {Quote(template)}", connection))
                await create.ExecuteNonQueryAsync();
            // Durability is not what these databases are for; this only speeds up commits.
            await using (var fast = new NpgsqlCommand($"alter database {Quote(name)} set synchronous_commit = off", connection))
                await fast.ExecuteNonQueryAsync();
        }
        finally { CreateLock.Release(); }
        return new TestDatabase(name, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var admin = await AdminConnectionStringAsync();
        // Named after the migrations it holds, so a shared server never hands out a stale template.
        var name = "sp_template_" + MigrationsHash();
        await using var connection = new NpgsqlConnection(Unpooled(admin));
        await connection.OpenAsync();
        // Several test processes may share one server (SMARTPARKING_TEST_PG): one builds, the others wait.
        await using (var lockCommand = new NpgsqlCommand("select pg_advisory_lock(7305121)", connection))
            await lockCommand.ExecuteNonQueryAsync();
        try
        {
            if (await ExistsAsync(connection, name) && await IsCompleteAsync(admin, name))
                return name;
            await using (var drop = new NpgsqlCommand($"drop database if exists {Quote(name)} with (force)", connection))
                await drop.ExecuteNonQueryAsync();
            await using (var create = new NpgsqlCommand($"create database {Quote(name)}", connection))
                await create.ExecuteNonQueryAsync();
            // A dedicated, unpooled data source: no connection to the template may outlive this method.
            await using (var dataSource = NpgsqlDataSource.Create(Unpooled(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString)))
                await new Migrator(dataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
            NpgsqlConnection.ClearAllPools();
            return name;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(7305121)", connection);
            await unlock.ExecuteNonQueryAsync();
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string database)
    {
        await using var command = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection) { Parameters = { new() { Value = database } } };
        return await command.ExecuteScalarAsync() is not null;
    }

    private static async Task<bool> IsCompleteAsync(string admin, string template)
    {
        await using var connection = new NpgsqlConnection(Unpooled(new NpgsqlConnectionStringBuilder(admin) { Database = template }.ConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from schema_migrations where version = any($1)", connection)
            { Parameters = { new() { Value = MigrationVersions().ToArray() } } };
        try { return (long)(await command.ExecuteScalarAsync())! == MigrationVersions().Count; }
        catch (PostgresException) { return false; }
    }

    private static IReadOnlyList<(string Version, string Sql)> Migrations() => Migrator.Embedded;

    private static IReadOnlyList<string> MigrationVersions() => Migrations().Select(m => m.Version).ToList();

    private static string MigrationsHash()
    {
        var all = string.Join("\n--\n", Migrations().Select(m => m.Version + "\n" + m.Sql));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(all)))[..12];
    }

    private static async Task<Cluster> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } external)
            return new Cluster(external, null, null);

        await RemoveStaleClustersAsync();
        var dataDirectory = Path.Combine(ScratchRoot, DataDirectoryPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
        Directory.CreateDirectory(dataDirectory);
        var local = new LocalPostgres(dataDirectory, NullLogger.Instance);
        var admin = await local.StartAsync(CancellationToken.None);
        await RelaxDurabilityAsync(admin);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(local, dataDirectory);
        StartWatchdog(dataDirectory);
        return new Cluster(admin, local, dataDirectory);
    }

    /// <summary>The cluster lives as long as this process and is never recovered after a crash: it need not sync to disk.</summary>
    private static async Task RelaxDurabilityAsync(string admin)
    {
        await using var connection = new NpgsqlConnection(Unpooled(admin));
        await connection.OpenAsync();
        foreach (var sql in new[] { "alter system set fsync = off", "alter system set full_page_writes = off", "select pg_reload_conf()" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static void Stop(LocalPostgres local, string dataDirectory)
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            local.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"Could not remove the test PostgreSQL cluster in {dataDirectory}: {e.Message}");
        }
    }

    /// <summary>
    /// The test platform gives a finished test host only a moment before killing it, often too little for
    /// the ProcessExit handler. A detached watchdog waits for this process to end, then stops the cluster
    /// and removes its directory, whichever way the process ended.
    /// </summary>
    private static void StartWatchdog(string dataDirectory)
    {
        var binDirectory = LocalPostgres.FindBinDirectory(null);
        if (binDirectory is null || !File.Exists("/usr/bin/tail")) return;
        static string Sh(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var pgCtl = $"{Sh(Path.Combine(binDirectory, "pg_ctl"))} stop -D {Sh(Path.Combine(dataDirectory, "postgres"))} -m fast -w -t 60";
        if (Environment.UserName == "root") pgCtl = "runuser -u postgres -- " + pgCtl;
        var script = $"tail --pid={Environment.ProcessId} -f /dev/null; {pgCtl}; rm -rf {Sh(dataDirectory)}";
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", "setsid -f /bin/sh -c \"$1\" </dev/null >/dev/null 2>&1", "sh", script])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(start);
        process?.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>A test process that was killed leaves its cluster running; the next run stops and removes it.</summary>
    private static async Task RemoveStaleClustersAsync()
    {
        foreach (var dir in new[] { ScratchRoot, Path.GetTempPath() }.Distinct().SelectMany(root => Directory.GetDirectories(root, DataDirectoryPrefix + "*")))
        {
            // smartparking-tests-<pid> or smartparking-tests-<pid>-<anything>
            var owner = Path.GetFileName(dir)[DataDirectoryPrefix.Length..].Split('-')[0];
            if (!int.TryParse(owner, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}"))
                continue;
            try
            {
                if (IsPostmasterAlive(Path.Combine(dir, "postgres", "postmaster.pid")))
                {
                    // Starting an instance on a running cluster only attaches to it, so it can then stop it.
                    var stale = new LocalPostgres(dir, NullLogger.Instance);
                    await stale.StartAsync(CancellationToken.None);
                    await stale.StopAsync(CancellationToken.None);
                }
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                Console.Error.WriteLine($"Could not remove stale test cluster {dir}: {e.Message}");
            }
        }
    }

    private static bool IsPostmasterAlive(string pidFile)
    {
        if (!File.Exists(pidFile)) return false;
        var first = File.ReadLines(pidFile).FirstOrDefault()?.Trim();
        var comm = $"/proc/{first}/comm";
        return first is { Length: > 0 } && File.Exists(comm) && File.ReadAllText(comm).Trim() == "postgres";
    }

    internal static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>One database of the test server, dropped by its owner when done.</summary>
public sealed record TestDatabase(string Name, string ConnectionString)
{
    public Task DropAsync() => TestPostgres.DropDatabaseAsync(Name);
}
