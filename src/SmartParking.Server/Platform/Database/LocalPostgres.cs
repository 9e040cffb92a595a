using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SmartParking.Server.Platform.Database;

public sealed class PostgresNotInstalledException(string message) : Exception(message);

/// <summary>
/// A private PostgreSQL cluster kept under the server's data directory, so the server works without
/// any database set up by hand. It is reused across restarts and stopped on shutdown.
/// A null <c>port</c> picks a free one at every start, so several servers on one machine never collide.
/// </summary>
public sealed partial class LocalPostgres(string dataDirectory, ILogger logger, string? binDirectory = null, int? port = null, IReadOnlySet<int>? portsInUse = null)
{
    private const string SuperUser = "smartparking";
    // initdb and postgres refuse to run as root, so a root server hands the cluster to this OS user.
    private const string ServiceUser = "postgres";
    private const string Settings = """

        # Added by SmartParking. TCP on loopback only: socket paths have length and permission traps.
        # The port is chosen at every start and passed on the command line.
        listen_addresses = '127.0.0.1'
        unix_socket_directories = ''
        logging_collector = off
        max_connections = 200
        fsync = on
        """;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    // pg_ctl waits up to 60 s itself (-t 60); the slack lets it report its own error first.
    private static readonly TimeSpan PgCtlTimeout = TimeSpan.FromSeconds(90);
    private const long MaxLogBytes = 10 * 1024 * 1024;

    private readonly string _dataDirectory = Path.GetFullPath(dataDirectory);
    private readonly bool _asRoot = IsRoot();
    private string? _binDirectory;
    private int _started;

    public string ClusterDirectory => Path.Combine(_dataDirectory, "postgres");

    private string PasswordFile => Path.Combine(_dataDirectory, "postgres.password");
    private string LogFile => Path.Combine(_dataDirectory, "postgres.log");
    private string PidFile => Path.Combine(ClusterDirectory, "postmaster.pid");

    public static string? FindBinDirectory(string? configured)
    {
        // An explicit setting that is wrong must surface as an error, not silently fall back.
        if (!string.IsNullOrWhiteSpace(configured))
            return HasBinaries(configured) ? Path.GetFullPath(configured) : null;
        if (PathDirectories().FirstOrDefault(HasBinaries) is { } onPath)
            return onPath;
        // Debian and Ubuntu keep the server binaries off PATH, one directory per major version.
        const string debianRoot = "/usr/lib/postgresql";
        return !Directory.Exists(debianRoot) ? null : Directory.GetDirectories(debianRoot)
            .Select(d => (Bin: Path.Combine(d, "bin"),
                Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : -1))
            .Where(x => x.Version >= 0 && HasBinaries(x.Bin))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Bin)
            .FirstOrDefault();
    }

    public async Task<string> StartAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The built-in PostgreSQL cluster needs Linux or macOS; set ConnectionStrings__Parking to use an existing server.");
        _binDirectory = FindBinDirectory(binDirectory) ?? throw new PostgresNotInstalledException(
            $"PostgreSQL server binaries (initdb, pg_ctl) were not found {(binDirectory is null ? "on PATH or under /usr/lib/postgresql/*/bin" : $"in '{binDirectory}'")}. " +
            "Install PostgreSQL (for example: sudo apt-get install postgresql) or set ConnectionStrings__Parking to point at an existing server.");
        Directory.CreateDirectory(_dataDirectory);
        if (_asRoot)
            await EnsureReachableByServiceUserAsync(cancellationToken);
        if (!File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
            await CreateClusterAsync(cancellationToken);
        var password = ReadPassword();
        var actualPort = await FindRunningPortAsync(cancellationToken) ?? await StartServerAsync(cancellationToken);
        Interlocked.Exchange(ref _started, 1);
        var connectionString = new NpgsqlConnectionStringBuilder
            { Host = "127.0.0.1", Port = actualPort, Username = SuperUser, Password = password, Database = "postgres" }.ConnectionString;
        await WaitUntilAcceptingAsync(connectionString, cancellationToken);
        return connectionString;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 0) == 0)
            return;
        LogStopping(logger, ClusterDirectory);
        var stop = await RunAsync(true, Bin("pg_ctl"), ["stop", "-D", ClusterDirectory, "-m", "fast", "-w", "-t", "60"], PgCtlTimeout, cancellationToken, throwOnError: false);
        // Someone else (another instance sharing the directory) may have stopped it already; that is fine.
        if (stop.ExitCode != 0 && await IsRunningAsync(cancellationToken))
            throw new InvalidOperationException($"Could not stop the local PostgreSQL cluster in {ClusterDirectory}:\n{stop.Output}");
    }

    [UnsupportedOSPlatform("windows")]
    private async Task CreateClusterAsync(CancellationToken cancellationToken)
    {
        LogCreating(logger, ClusterDirectory);
        // Without PG_VERSION the directory is the remains of an interrupted attempt, not a database.
        if (Directory.Exists(ClusterDirectory))
            Directory.Delete(ClusterDirectory, recursive: true);
        // initdb works in a side directory that is renamed only on success, so a crash mid-way never
        // leaves a half-built cluster that looks complete.
        var staging = ClusterDirectory + ".initdb";
        if (Directory.Exists(staging))
            Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var pwFile = Path.Combine(_dataDirectory, $"postgres.pwfile.{Guid.NewGuid():N}");
        try
        {
            await WriteSecretAsync(pwFile, password, cancellationToken);
            if (_asRoot)
                await RunAsync(false, "chown", ["-R", $"{ServiceUser}:{ServiceUser}", staging, pwFile], CommandTimeout, cancellationToken);
            await RunAsync(true, Bin("initdb"), ["-D", staging, "-U", SuperUser, "-E", "UTF8", "--locale=C", "--auth=scram-sha-256", $"--pwfile={pwFile}"], CommandTimeout, cancellationToken);
        }
        finally { File.Delete(pwFile); }
        await File.AppendAllTextAsync(Path.Combine(staging, "postgresql.conf"), Settings, cancellationToken);
        await WriteSecretAsync(PasswordFile, password, cancellationToken);
        Directory.Move(staging, ClusterDirectory);
    }

    private async Task<int?> FindRunningPortAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(PidFile) || !await IsRunningAsync(cancellationToken))
            return null;
        var lines = await File.ReadAllLinesAsync(PidFile, cancellationToken);
        // pg_ctl only checks that the recorded pid is alive; after a reboot or in a container that pid
        // may belong to an unrelated process, which would also make postgres refuse to start.
        var comm = lines.Length > 0 ? $"/proc/{lines[0].Trim()}/comm" : "";
        if (File.Exists(comm) && (await File.ReadAllTextAsync(comm, cancellationToken)).Trim() != "postgres")
        {
            LogStalePidFile(logger, PidFile);
            File.Delete(PidFile);
            return null;
        }
        if (lines.Length < 4 || !int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var runningPort))
            throw new InvalidOperationException($"A PostgreSQL server is running for {ClusterDirectory} but {PidFile} does not name its port.");
        LogReusing(logger, ClusterDirectory, runningPort);
        return runningPort;
    }

    [UnsupportedOSPlatform("windows")]
    private async Task<int> StartServerAsync(CancellationToken cancellationToken)
    {
        // A free port found now can be taken by someone else before postgres binds it; a retry covers that.
        for (var attempt = 1; ; attempt++)
        {
            var chosenPort = port ?? FindFreePort(portsInUse ?? new HashSet<int>());
            await PrepareLogFileAsync(cancellationToken);
            LogStarting(logger, ClusterDirectory, chosenPort);
            var start = await RunAsync(true, Bin("pg_ctl"), ["start", "-D", ClusterDirectory, "-l", LogFile, "-w", "-t", "60", "-o", $"-p {chosenPort}"], PgCtlTimeout, cancellationToken, throwOnError: false);
            if (start.ExitCode == 0)
                return chosenPort;
            var logTail = File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(20)) : "";
            if (port is null && attempt < 3 && logTail.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
                continue;
            throw new InvalidOperationException(
                $"Could not start the local PostgreSQL cluster in {ClusterDirectory} (pg_ctl exit code {start.ExitCode}):\n{start.Output}\nLast lines of {LogFile}:\n{logTail}");
        }
    }

    [UnsupportedOSPlatform("windows")]
    private async Task PrepareLogFileAsync(CancellationToken cancellationToken)
    {
        // pg_ctl appends forever; keep one old generation so the log cannot fill the disk.
        var log = new FileInfo(LogFile);
        if (log.Exists && log.Length > MaxLogBytes)
            File.Move(LogFile, LogFile + ".1", overwrite: true);
        await File.AppendAllTextAsync(LogFile, "", cancellationToken);
        // The shell that pg_ctl runs as the service user opens the log, so that user must own it.
        if (_asRoot)
            await RunAsync(false, "chown", [$"{ServiceUser}:{ServiceUser}", LogFile], CommandTimeout, cancellationToken);
    }

    private async Task EnsureReachableByServiceUserAsync(CancellationToken cancellationToken)
    {
        var ancestors = new List<string>();
        for (var dir = Path.GetDirectoryName(ClusterDirectory); dir is not null; dir = Path.GetDirectoryName(dir))
            ancestors.Insert(0, dir);
        // Checked as the service user itself so ACLs and group membership count; prints the first blocker.
        const string script = "for d; do test -x \"$d\" || { echo \"$d\"; exit 1; }; done";
        var result = await RunAsync(true, "/bin/sh", ["-c", script, "sh", .. ancestors], CommandTimeout, cancellationToken, throwOnError: false);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"The local PostgreSQL server runs as the '{ServiceUser}' OS user, which cannot enter '{result.Output}' on the way to {ClusterDirectory}. " +
                $"Set Database:DataDirectory to a directory that user can reach (for example /var/lib/smartparking), or allow it through (chmod o+x '{result.Output}').");
    }

    private async Task WaitUntilAcceptingAsync(string connectionString, CancellationToken cancellationToken)
    {
        // A probe connection must not linger in the pool of the application's data source.
        var probe = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        var deadline = DateTime.UtcNow + CommandTimeout;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
            {
                throw new InvalidOperationException(
                    $"The local PostgreSQL cluster in {ClusterDirectory} rejected the password kept in {PasswordFile}. Restore the matching file, or delete {ClusterDirectory} to start with an empty database.", ex);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    private async Task<bool> IsRunningAsync(CancellationToken cancellationToken) =>
        (await RunAsync(true, Bin("pg_ctl"), ["status", "-D", ClusterDirectory], CommandTimeout, cancellationToken, throwOnError: false)).ExitCode == 0;

    private string ReadPassword()
    {
        var password = File.Exists(PasswordFile) ? File.ReadAllText(PasswordFile).Trim() : "";
        if (password.Length == 0)
            throw new InvalidOperationException(
                $"The local PostgreSQL cluster in {ClusterDirectory} exists but its password file {PasswordFile} is missing or empty. Restore it, or delete {ClusterDirectory} to start with an empty database.");
        return password;
    }

    [UnsupportedOSPlatform("windows")]
    private static async Task WriteSecretAsync(string path, string secret, CancellationToken cancellationToken)
    {
        // Created 0600 from the first byte and moved into place, so the secret is never briefly world-readable
        // and a crash never leaves a truncated file.
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var stream = new FileStream(temp, options))
            await stream.WriteAsync(Encoding.UTF8.GetBytes(secret), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    private async Task<(int ExitCode, string Output)> RunAsync(bool asServiceUser, string file, IReadOnlyList<string> args,
        TimeSpan timeout, CancellationToken cancellationToken, bool throwOnError = true)
    {
        string[] command = [file, .. args];
        if (asServiceUser && _asRoot)
            command = FindExecutable("runuser") is { } runuser
                ? [runuser, "-u", ServiceUser, "--", .. command]
                // su is the fallback where runuser is missing; it takes the command as one shell string.
                : ["su", ServiceUser, "-s", "/bin/sh", "-c", string.Join(' ', command.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"))];
        var commandText = string.Join(' ', command);
        var startInfo = new ProcessStartInfo(command[0], command.Skip(1))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            // The service user may not be allowed into the server's own working directory (e.g. /root).
            WorkingDirectory = _dataDirectory,
        };
        using var process = new Process { StartInfo = startInfo };
        try { process.Start(); }
        catch (Win32Exception ex) { throw new InvalidOperationException($"Could not run '{commandText}': {ex.Message}", ex); }
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException($"'{commandText}' did not finish within {timeout.TotalSeconds:0} s.");
        }
        var output = ((await stdout) + (await stderr)).Trim();
        if (throwOnError && process.ExitCode != 0)
            throw new InvalidOperationException($"'{commandText}' failed with exit code {process.ExitCode}:\n{output}");
        return (process.ExitCode, output);
    }

    private string Bin(string name) => Path.Combine(_binDirectory ?? throw new InvalidOperationException("StartAsync has not run."), name);

    private static bool HasBinaries(string dir) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

    private static string[] PathDirectories() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);

    // sbin is often missing from PATH in services even though runuser lives there.
    private static string? FindExecutable(string name) =>
        PathDirectories().Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]).Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>A port free now and not one the host itself is about to bind (HTTP, MQTT), which is just as free until it does.</summary>
    private static int FindFreePort(IReadOnlySet<int> portsInUse)
    {
        while (true)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var free = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (!portsInUse.Contains(free)) return free;
            }
            finally { listener.Stop(); }
        }
    }

    private static bool IsRoot()
    {
        if (Environment.UserName == "root")
            return true;
        // Environment.UserName can be unresolvable in containers without a passwd entry; the effective uid cannot.
        const string status = "/proc/self/status";
        var uidLine = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) : null;
        var fields = uidLine?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 2 } && fields[2] == "0";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Creating local PostgreSQL cluster in {ClusterDirectory}")]
    private static partial void LogCreating(ILogger logger, string clusterDirectory);
    [LoggerMessage(Level = LogLevel.Information, Message = "Starting local PostgreSQL cluster in {ClusterDirectory} on 127.0.0.1:{Port}")]
    private static partial void LogStarting(ILogger logger, string clusterDirectory, int port);
    [LoggerMessage(Level = LogLevel.Information, Message = "Reusing running local PostgreSQL cluster in {ClusterDirectory} on 127.0.0.1:{Port}")]
    private static partial void LogReusing(ILogger logger, string clusterDirectory, int port);
    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping local PostgreSQL cluster in {ClusterDirectory}")]
    private static partial void LogStopping(ILogger logger, string clusterDirectory);
    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing stale PostgreSQL pid file {PidFile}")]
    private static partial void LogStalePidFile(ILogger logger, string pidFile);
}
