using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SmartParking.BrowserTests.Infrastructure;

/// <summary>The demo sign-ins the server writes into its data directory when it seeds the demo city.</summary>
public sealed record DemoCredentials(string OperatorEmail, string OperatorPassword, string OperatorTotpKey, string DriverEmail, string DriverPassword,
    string AdminEmail, string AdminPassword, string AdminTotpKey);

/// <summary>
/// The real server as a user runs it: its own process, Development environment, embedded PostgreSQL in a fresh
/// directory, the demo city seeded, HTTP and MQTT on free ports. Demo traffic is off so counts move only when a test
/// moves them. Stopped with SIGTERM, so the server shuts its cluster down as it does on Ctrl+C.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private RunningServer(Process process, Uri baseUri, int mqttPort, string dataDirectory)
    {
        _process = process;
        BaseUri = baseUri;
        MqttPort = mqttPort;
        DataDirectory = dataDirectory;
    }

    public Uri BaseUri { get; }
    public int MqttPort { get; }
    public string DataDirectory { get; }
    public DemoCredentials Credentials { get; private set; } = null!;

    /// <summary>What the server printed, for a failure message.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<RunningServer> StartAsync(IReadOnlyList<string>? extraArguments = null)
    {
        var project = Path.Combine(Repository.Root, "src", "SmartParking.Server");
        var dll = Path.Combine(project, "bin", BuildConfiguration(), "net10.0", "SmartParking.Server.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"The server is not built at {dll}.");
        var (http, mqtt) = TwoFreePorts();
        // Not CreateTempSubdirectory: that is private to us, and as root the cluster runs as the postgres user.
        var data = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"smartparking-browser-{Guid.NewGuid():N}")).FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     dll, "--urls", $"http://127.0.0.1:{http}", "--Mqtt:Port", $"{mqtt}", "--Database:DataDirectory", data,
                     "--Demo:LiveReadingsPerSecond", "0", "--Demo:HistoryDays", "0", "--Pricing:Scheduled", "false", "--Web:GeocoderUrl=",
                     // Every test signs in from 127.0.0.1; the per-address sign-in limit has its own tests.
                     "--Http:AuthRequestsPerWindow", "300",
                     // Push subscriptions point at a local push service on http (PushNotificationTests).
                     "--Notifications:WebPush:AllowInsecureEndpoints", "true",
                     // Alert rules every second (with the jobs' tick), so a test sees its alert open within seconds.
                     "--Alerts:EvaluateSeconds", "1",
                 }.Concat(extraArguments ?? []))
            start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment.Remove("ConnectionStrings__Parking");
        var process = Process.Start(start) ?? throw new InvalidOperationException("The server did not start.");
        var server = new RunningServer(process, new Uri($"http://127.0.0.1:{http}"), mqtt, data);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilReadyAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        var credentials = Path.Combine(DataDirectory, "demo-credentials.json");
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                // Waits for the end of its output too, so the message has all of it.
                _process.WaitForExit();
                throw new InvalidOperationException($"The server exited with {_process.ExitCode}:\n{Log}");
            }
            if (File.Exists(credentials) && await IsReadyAsync(http))
            {
                Credentials = JsonSerializer.Deserialize<DemoCredentials>(await File.ReadAllTextAsync(credentials), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
                return;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The server was not ready within {StartTimeout}:\n{Log}");
            await Task.Delay(200);
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal(_process.Id, "TERM");
            using var graceful = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(graceful.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        StopLeftoverPostgres();
        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A cluster that was killed may still be letting go of its files; the temp directory is cleaned by the OS.
        }
    }

    /// <summary>If the server died without stopping its cluster, the postmaster is stopped here, not left running.</summary>
    private void StopLeftoverPostgres()
    {
        foreach (var pidFile in Directory.EnumerateFiles(DataDirectory, "postmaster.pid", SearchOption.AllDirectories))
            if (int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid)) Signal(pid, "QUIT");
    }

    /// <summary>A Unix signal by name; .NET's Process.Kill only sends SIGKILL, which skips the server's shutdown.</summary>
    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        kill?.WaitForExit();
    }

    /// <summary>Two different free ports: both are held while the second is found.</summary>
    private static (int, int) TwoFreePorts()
    {
        var first = new TcpListener(IPAddress.Loopback, 0);
        var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        try { return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port); }
        finally
        {
            first.Stop();
            second.Stop();
        }
    }

    /// <summary>The configuration the tests were built in; the server was built in the same one (project reference).</summary>
    private static string BuildConfiguration() =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
}

public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SmartParking.slnx"))) return dir.FullName;
        throw new InvalidOperationException("SmartParking.slnx not found above the test output.");
    }
}
