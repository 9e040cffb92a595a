using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SmartParking.Bench;

/// <summary>
/// The server under test as a child process running the Release build, as it would run in production: its own
/// process, its own GC and thread pool, measured from outside through HTTP, MQTT and /proc.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    // Output events can still arrive while the process is being disposed; a closed log must not throw on them.
    private bool _logClosed;

    private ServerProcess(Process process, StreamWriter log, string logPath, int httpPort, int mqttPort)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        HttpPort = httpPort;
        MqttPort = mqttPort;
    }

    public int Pid => _process.Id;
    public string LogPath { get; }
    public int HttpPort { get; }
    public int MqttPort { get; }
    public Uri BaseUrl => new($"http://127.0.0.1:{HttpPort}");
    public bool HasExited => _process.HasExited;

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }

    public static ServerProcess Start(string serverDll, string connectionString, string logPath, int smtpPort, bool rollups)
    {
        var httpPort = FreePort();
        var mqttPort = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            // The content root is the working directory: appsettings.json is read from next to the dll.
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(serverDll);
        foreach (var (name, value) in Settings(connectionString, httpPort, mqttPort, smtpPort, rollups))
            info.Environment[name] = value;
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start 'dotnet' for the server.");
        var server = new ServerProcess(process, log, logPath, httpPort, mqttPort);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The environment the server runs with; printed with the results so a run can be reproduced by hand.</summary>
    public static IEnumerable<(string Name, string Value)> Settings(string connectionString, int httpPort, int mqttPort, int smtpPort, bool rollups) =>
    [
        ("ConnectionStrings__Parking", connectionString),
        ("ASPNETCORE_ENVIRONMENT", "Production"),
        // Production needs field-encryption keys; these are made for this run only, shared by every node it starts.
        ("Protection__Keys__1", RunProtectionKeys.Key),
        ("Protection__ActiveKey", "1"),
        ("Protection__IndexKey", RunProtectionKeys.IndexKey),
        ("ASPNETCORE_URLS", $"http://127.0.0.1:{httpPort}"),
        // The rate limiter must never be what a benchmark measures. 1,000,000 is the largest value the server's
        // option validation accepts; with a 1 s window that is a million requests a second per client.
        ("Http__RequestsPerWindow", "1000000"),
        ("Http__AuthRequestsPerWindow", "1000000"),
        ("Http__WindowSeconds", "1"),
        ("Demo__Seed", "false"),
        ("Logging__LogLevel__Default", "Warning"),
        // The seeded sensors send no heartbeats; without this the health sweep would turn all 100,000 spaces
        // "unknown" 90 s in, and that burst of changes would land in the middle of a benchmark.
        ("Ingest__HeartbeatSeconds", "43200"),
        // The bookings benchmark first books without paying (thousands of holds per driver), which the cap on a
        // driver's unpaid holds exists to refuse; 0 turns it off.
        ("Reservations__MaxUnpaidHolds", "0"),
        ("Mqtt__Port", mqttPort.ToString(CultureInfo.InvariantCulture)),
        // Drivers' e-mail goes to the harness's own SMTP sink (the notifications benchmark times its arrival).
        ("Notifications__Smtp__Host", "127.0.0.1"),
        ("Notifications__Smtp__Port", smtpPort.ToString(CultureInfo.InvariantCulture)),
        ("Notifications__Smtp__Security", "none"),
        ("Notifications__Smtp__From", "SmartParking bench <bench@smartparking.local>"),
        // On as in production; --no-rollups measures ingest without the rollup subscriber and sampler.
        ("Analytics__Rollups__Enabled", rollups ? "true" : "false"),
        // A once-a-day job: on a fresh database it makes yesterday's report for all 10,000 lots at start-up (after 06:00
        // local), which would land inside whichever benchmark runs first and only on some runs.
        ("Analytics__DailyReports__Enabled", "false"),
    ];

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_logLock)
            if (!_logClosed) _log.WriteLine(line);
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The server exited during start-up with code {_process.ExitCode}. Last lines of {LogPath}:\n{Tail(30)}");
            try
            {
                using var response = await http.GetAsync("/health/ready", ct);
                if (response.IsSuccessStatusCode) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = e.Message;
            }
            await Task.Delay(250, ct);
        }
        throw new TimeoutException($"The server was not ready within {timeout.TotalSeconds:0} s (last answer: {last}). Last lines of {LogPath}:\n{Tail(30)}");
    }

    /// <summary>Resident memory and its peak, in MB, from /proc.</summary>
    public (double RssMb, double PeakMb) Memory()
    {
        double Kb(string key)
        {
            var line = File.ReadLines($"/proc/{Pid}/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            var digits = line?.Split(':', 2)[1].Trim().Split(' ')[0];
            return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var kb) ? kb : double.NaN;
        }
        return (Kb("VmRSS:") / 1024, Kb("VmHWM:") / 1024);
    }

    public string Tail(int lines)
    {
        lock (_logLock)
            if (!_logClosed) _log.Flush();
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e) { return $"(could not read the log: {e.Message})"; }
    }

    /// <summary>
    /// SIGTERM, so the host shuts down gracefully (the ingest pipeline drains what it accepted); a hard kill only if it
    /// has not exited within the grace period.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        Shell.TryRun("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)], 5000);
        using var wait = new CancellationTokenSource(grace);
        try { await _process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"The server did not stop within {grace.TotalSeconds:0} s of SIGTERM; killing it.");
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>SIGKILL: the node dies with whatever it held in memory, as a lost machine would.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        lock (_logLock)
        {
            _logClosed = true;
            _log.Dispose();
        }
    }
}

/// <summary>Field-encryption keys for the run's server processes: random, never stored.</summary>
internal static class RunProtectionKeys
{
    public static readonly string Key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    public static readonly string IndexKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
