using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Deploy;

/// <summary>
/// The container's conditions without a container engine: the server published as the Dockerfile publishes it, run as
/// an unprivileged user (nobody, when the tests run as root) from a directory it cannot write, with only a data
/// directory and a temp directory writable, against PostgreSQL through ConnectionStrings__Parking.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed partial class PublishedServerTests(PublishedServer server) : IClassFixture<PublishedServer>
{
    [Fact]
    public async Task Becomes_ready_as_an_unprivileged_user_from_a_read_only_directory()
    {
        using var http = server.Client();

        (await http.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK, server.Log);
        (await http.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.GetAsync("/health/startup")).StatusCode.ShouldBe(HttpStatusCode.OK);
        if (Environment.UserName == "root") server.ProcessUid().ShouldNotBe(0);
        Directory.GetFileSystemEntries(server.AppDirectory, "*", SearchOption.AllDirectories).Order().ToList()
            .ShouldBe(server.PublishedFiles, false, "the server wrote into its content root");
    }

    [Fact]
    public async Task The_Dockerfile_health_check_passes_against_it()
    {
        var command = JsonSerializer.Deserialize<string[]>(HealthCheckCommand().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile"))).Groups[1].Value)!;
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in command.Skip(1)) start.ArgumentList.Add(arg.Replace("/8080", "/" + server.HttpPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        using var check = Process.Start(start)!;
        await check.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        check.ExitCode.ShouldBe(0, await check.StandardError.ReadToEndAsync());
    }

    [Fact]
    public async Task Every_metric_the_alerts_autoscaler_and_dashboard_use_is_served()
    {
        using var http = server.Client();
        var served = MetricFamily().Matches(await http.GetStringAsync("/metrics")).Select(m => m.Groups[1].Value).ToHashSet();

        var kubernetes = Path.Combine(RepoPaths.Root, "deploy", "kubernetes", "base");
        var used = new[] { "monitoring.yaml", "ingest.yaml", "grafana-dashboard.json" }
            .SelectMany(file => MetricName().Matches(File.ReadAllText(Path.Combine(kubernetes, file))).Select(m => m.Value))
            .Distinct()
            .ToList();

        used.ShouldContain("smartparking_ingest_queue_readings");
        used.ShouldContain("db_client_operation_failed_total");
        used.Where(name => !served.Contains(name) && !served.Contains(HistogramSeries().Replace(name, "")))
            .ShouldBeEmpty("metric names in deploy/kubernetes/base that the server does not serve");
    }

    [GeneratedRegex(@"^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$", RegexOptions.Multiline)]
    private static partial Regex HealthCheckCommand();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex MetricFamily();

    // The server's own families, and the runtime's, ASP.NET Core's and Npgsql's ones the manifests query; not a label
    // name (followed by =, !=, =~ or !~).
    [GeneratedRegex(@"\b(smartparking|http_server|db_client|dotnet|kestrel)_[a-z0-9_]+\b(?!\s*[=!])")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|count|sum)$")]
    private static partial Regex HistogramSeries();
}

/// <summary>One publish and one running server for the class.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class PublishedServer : IAsyncLifetime
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly StringBuilder _log = new();
    private string _root = "";
    private Process? _process;
    private TestDatabase? _database;

    public string AppDirectory => Path.Combine(_root, "app");
    public IReadOnlyList<string> PublishedFiles { get; private set; } = [];
    public int HttpPort { get; private set; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public HttpClient Client() => new() { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync()
    {
        // Not CreateTempSubdirectory: that is private to root, and the server runs as another user.
        _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"smartparking-published-{Guid.NewGuid():N}")).FullName;
        File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await PublishAsync();
        MakeReadOnly(AppDirectory);
        PublishedFiles = Directory.GetFileSystemEntries(AppDirectory, "*", SearchOption.AllDirectories).Order().ToList();

        var data = WritableBy(Path.Combine(_root, "data"));
        var temp = WritableBy(Path.Combine(_root, "tmp"));
        _database = await TestPostgres.CreateDatabaseAsync(nameof(PublishedServerTests));
        var ports = FreePorts.Many(2);
        (HttpPort, var mqttPort) = (ports[0], ports[1]);

        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "setpriv" : "dotnet")
        {
            WorkingDirectory = AppDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asRoot)
            foreach (var arg in (string[])["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "dotnet"]) start.ArgumentList.Add(arg);
        start.ArgumentList.Add("SmartParking.Server.dll");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HttpPort}";
        start.Environment["Mqtt__Port"] = mqttPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["ConnectionStrings__Parking"] = _database.ConnectionString;
        foreach (var (name, value) in TestProtectionKeys.Environment) start.Environment[name] = value;
        // As the image sets them: the data directory is a volume, /tmp a tmpfs, and HOME is not writable.
        start.Environment["Database__DataDirectory"] = data;
        start.Environment["TMPDIR"] = temp;
        start.Environment["HOME"] = AppDirectory;
        _process = Process.Start(start) ?? throw new InvalidOperationException("The published server did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilReadyAsync();
    }

    /// <summary>The real user id of the server process, from /proc.</summary>
    public int ProcessUid() =>
        int.Parse(File.ReadLines($"/proc/{_process!.Id}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1],
            CultureInfo.InvariantCulture);

    private async Task PublishAsync()
    {
        // As the Dockerfile's build stage does it (there after a separate restore).
        var project = Path.Combine(RepoPaths.Root, "src", "SmartParking.Server", "SmartParking.Server.csproj");
        var publish = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-o", AppDirectory, "-p:UseAppHost=false", "-nologo", "-v", "q"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(publish)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(PublishTimeout);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed ({process.ExitCode}):\n{await output}\n{await error}");
    }

    private static void MakeReadOnly(string directory)
    {
        const UnixFileMode readAndExecute = UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                                            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        foreach (var dir in Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories).Append(directory))
            File.SetUnixFileMode(dir, readAndExecute);
    }

    /// <summary>A directory only the server's user may write: nobody's when the tests run as root.</summary>
    private static string WritableBy(string path)
    {
        Directory.CreateDirectory(path);
        if (Environment.UserName != "root") return path;
        using var chown = Process.Start(new ProcessStartInfo("chown", ["nobody:nogroup", path]) { UseShellExecute = false })!;
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new InvalidOperationException($"chown nobody {path} failed");
        return path;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = Client();
        var deadline = DateTime.UtcNow + StartTimeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (_process!.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"The published server exited with {_process.ExitCode}:\n{Log}");
            }
            try
            {
                if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The published server was not ready within {StartTimeout}:\n{Log}");
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(500, delay.TotalMilliseconds * 2));
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
                term?.WaitForExit();
            using var graceful = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(graceful.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process?.Dispose();
        if (_database is not null) await _database.DropAsync();
        if (Directory.Exists(AppDirectory))
            foreach (var dir in Directory.EnumerateDirectories(AppDirectory, "*", SearchOption.AllDirectories).Append(AppDirectory))
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (_root.Length > 0) Directory.Delete(_root, recursive: true);
    }

}
