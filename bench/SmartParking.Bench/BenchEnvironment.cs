using System.Net.Http.Json;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using SmartParking.Server.Platform.Database;

namespace SmartParking.Bench;

/// <summary>
/// Everything a benchmark runs against, built fresh and torn down afterwards, failure or not: a private PostgreSQL
/// cluster in a temporary directory, a migrated and seeded database, and the Release server as a child process.
/// </summary>
internal sealed class BenchEnvironment : IAsyncDisposable
{
    private readonly BenchSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly TextWriter _out;
    private LocalPostgres? _postgres;

    private BenchEnvironment(BenchSettings settings, string directory, ILoggerFactory loggers, TextWriter output)
    {
        _settings = settings;
        Directory = directory;
        _loggers = loggers;
        _out = output;
    }

    public string Directory { get; }
    public NpgsqlDataSource Db { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    public SeededCity City { get; private set; } = null!;
    public ServerProcess Server { get; private set; } = null!;

    /// <summary>The server build every node of the run uses.</summary>
    public string ServerDll { get; private set; } = "";
    public SmtpSink Smtp { get; } = new();
    public string PostgresVersion { get; private set; } = "?";
    public int? PostmasterPid { get; private set; }

    public CpuSampler Cpu => new(Server.Pid, PostmasterPid);

    public static async Task<BenchEnvironment> StartAsync(BenchSettings settings, TextWriter output, CancellationToken ct)
    {
        var directory = Path.Combine(settings.WorkDirectory, "smartparking-bench-" + Guid.NewGuid().ToString("N")[..8]);
        // As root the cluster runs as the 'postgres' user, which must be able to enter this directory; the mode
        // CreateTempSubdirectory would use (0700) keeps it out.
        System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var environment = new BenchEnvironment(settings, directory, loggers, output);
        try
        {
            await environment.StartCoreAsync(ct);
            return environment;
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        var serverDll = await EnsureServerBuildAsync(ct);
        ServerDll = serverDll;

        _out.WriteLine($"Starting PostgreSQL in {Directory}");
        _postgres = new LocalPostgres(Directory, _loggers.CreateLogger<LocalPostgres>());
        var admin = await _postgres.StartAsync(ct);
        // pg_stat_statements says which statement a slow benchmark waited on; it has to be preloaded, hence a restart.
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(ct);
            await using var preload = new NpgsqlCommand("alter system set shared_preload_libraries = 'pg_stat_statements'", connection);
            await preload.ExecuteNonQueryAsync(ct);
        }
        NpgsqlConnection.ClearAllPools();
        await _postgres.StopAsync(ct);
        admin = await _postgres.StartAsync(ct);
        var pidFile = Path.Combine(_postgres.ClusterDirectory, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pm))
            PostmasterPid = pm;
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(ct);
            await using (var create = new NpgsqlCommand("create database smartparking_bench", connection))
                await create.ExecuteNonQueryAsync(ct);
            await connection.ChangeDatabaseAsync("smartparking_bench", ct);
            await using (var extension = new NpgsqlCommand("create extension if not exists pg_stat_statements", connection))
                await extension.ExecuteNonQueryAsync(ct);
            await using var version = new NpgsqlCommand("show server_version", connection);
            PostgresVersion = (string)(await version.ExecuteScalarAsync(ct))!;
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = "smartparking_bench" }.ConnectionString;
        Db = NpgsqlDataSource.Create(ConnectionString);
        await new Migrator(Db, _loggers.CreateLogger<Migrator>()).MigrateAsync(ct);
        City = await CitySeeder.SeedAsync(Db, _settings.Lots, _settings.Spaces, _out, ct);

        var started = Stopwatch.GetTimestamp();
        Server = ServerProcess.Start(serverDll, ConnectionString, Path.Combine(Directory, "server.log"), Smtp.Port, !_settings.NoRollups);
        _out.WriteLine($"Server pid {Server.Pid} on {Server.BaseUrl} (MQTT port {Server.MqttPort}); log {Server.LogPath}");
        await Server.WaitUntilReadyAsync(TimeSpan.FromSeconds(180), ct);
        // The chat's NLU trains in the background after start-up, many seconds of CPU; the first parse waits for it, so no
        // benchmark measures a server still busy training.
        using (var http = new HttpClient { BaseAddress = Server.BaseUrl, Timeout = TimeSpan.FromSeconds(180) })
            (await http.PostAsJsonAsync("/model/parse", new { text = "hello" }, ct)).EnsureSuccessStatusCode();
        _out.WriteLine($"Server ready in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s (availability of {City.Spaces:N0} spaces loaded)");
    }

    /// <summary>
    /// The Release server dll. Running the harness with -c Release builds it through the project reference; from a
    /// Debug harness (or when it is missing) it is built here, so a benchmark never measures a Debug server.
    /// </summary>
    private async Task<string> EnsureServerBuildAsync(CancellationToken ct)
    {
        if (_settings.ServerDll is { } given)
            return File.Exists(given) ? Path.GetFullPath(given) : throw new InvalidOperationException($"--server-dll: {given} does not exist.");
        var root = FindRepositoryRoot();
        var project = Path.Combine(root, "src", "SmartParking.Server", "SmartParking.Server.csproj");
        var dll = Path.Combine(root, "src", "SmartParking.Server", "bin", "Release", "net10.0", "SmartParking.Server.dll");
        var harnessIsRelease =
#if DEBUG
            false;
#else
            true;
#endif
        if (harnessIsRelease && File.Exists(dll)) return dll;
        _out.WriteLine($"Building the server in Release ({project}) ...");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "build", "-c", "Release", "--nologo", "-v", "q", project }) info.ArgumentList.Add(a);
        using var build = Process.Start(info) ?? throw new InvalidOperationException("Could not start 'dotnet build'.");
        var stdout = build.StandardOutput.ReadToEndAsync(ct);
        var stderr = build.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        try { await build.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            build.Kill(entireProcessTree: true);
            throw new TimeoutException("Building the server took more than 10 minutes.");
        }
        if (build.ExitCode != 0 || !File.Exists(dll))
            throw new InvalidOperationException($"Building the server failed (exit code {build.ExitCode}):\n{await stdout}\n{await stderr}");
        return dll;
    }

    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SmartParking.slnx"))) return dir.FullName;
        for (var dir = new DirectoryInfo(System.IO.Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SmartParking.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Could not find the repository root (SmartParking.slnx) above the harness or the current directory.");
    }

    public async Task<long> ScalarAsync(string sql, CancellationToken ct)
    {
        await using var connection = await Db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        // Each step is attempted even when an earlier one fails, so a broken run leaves no server or cluster behind.
        if (Server is not null)
        {
            try { await Server.DisposeAsync(); }
            catch (Exception e) { Console.Error.WriteLine($"Stopping the server failed: {e.Message}"); }
        }
        await Smtp.DisposeAsync();
        if (Db is not null) await Db.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (_postgres is not null)
        {
            try { await _postgres.StopAsync(CancellationToken.None); }
            catch (Exception e) { Console.Error.WriteLine($"Stopping PostgreSQL failed: {e.Message}"); }
        }
        _loggers.Dispose();
        if (_settings.KeepData)
            _out.WriteLine($"Kept {Directory} (cluster stopped; server log in server.log).");
        else
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Console.Error.WriteLine($"Could not delete {Directory}: {e.Message}"); }
        }
    }
}
