using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Deployment;

/// <summary>
/// The built server (the dll next to its appsettings) as its own process, as an operator runs it: Production settings,
/// a given database, HTTP and MQTT on ports picked free now. Used for what only a real process shows: its exit code and
/// what it prints, and a node that can be killed.
/// </summary>
public sealed class ServerNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerNode(Process process, int httpPort, int mqttPort)
    {
        _process = process;
        HttpPort = httpPort;
        MqttPort = mqttPort;
    }

    public int HttpPort { get; }
    public int MqttPort { get; }
    public int Pid => _process.Id;
    public Uri BaseUri => new($"http://127.0.0.1:{HttpPort}");
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed (stdout and stderr).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static string ServerDll
    {
        get
        {
            // The test binaries sit in bin/{Configuration}/net10.0; the server is built with the same configuration.
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var dll = Path.Combine(RepoPaths.Root, "src", "SmartParking.Server", "bin", configuration, "net10.0", "SmartParking.Server.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"The server is not built at {dll}.");
        }
    }

    /// <summary>
    /// Starts the server; <paramref name="connectionString"/> null means no ConnectionStrings setting at all. Arguments
    /// come last, so a test's own --urls or --Mqtt:Port wins over the free ones.
    /// </summary>
    /// <param name="protectionKeys">Whether the process gets the run's field-encryption keys (a Production server needs them).</param>
    public static ServerNode Start(string? connectionString, IEnumerable<string> arguments, int? httpPort = null, int? mqttPort = null,
        IReadOnlyDictionary<string, string>? environment = null, bool protectionKeys = true)
    {
        var ports = FreePorts.Many(2);
        var (http, mqtt) = (httpPort ?? ports[0], mqttPort ?? ports[1]);
        var dll = ServerDll;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in new[] { "--urls", $"http://127.0.0.1:{http}", "--Mqtt:Port", $"{mqtt}" }.Concat(arguments))
            start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Demo__Seed"] = "false";
        start.Environment["Web__GeocoderUrl"] = "";
        start.Environment["Auth__CreateFirstAdmin"] = "false";
        start.Environment.Remove("ConnectionStrings__Parking");
        if (connectionString is not null) start.Environment["ConnectionStrings__Parking"] = connectionString;
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Protection__", StringComparison.Ordinal)).ToList()) start.Environment.Remove(name);
        if (protectionKeys) foreach (var (name, value) in TestProtectionKeys.Environment) start.Environment[name] = value;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start 'dotnet'.");
        var node = new ServerNode(process, http, mqtt);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>Waits for the process to end by itself (start-up failures) and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"The server did not exit within {timeout.TotalSeconds:0} s:\n{Output}"); }
        _process.WaitForExit(); // the rest of its output
        return _process.ExitCode;
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        await Poll.UntilAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"The server exited with {_process.ExitCode}:\n{Output}");
            try { return (await http.GetAsync("/health/ready")).StatusCode; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return HttpStatusCode.ServiceUnavailable; }
        }, s => s == HttpStatusCode.OK, timeout, $"node on {BaseUri} to be ready");
    }

    /// <summary>SIGKILL: the node dies with whatever it had in memory, as a lost machine would.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first, so the node shuts down as under an orchestrator.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _process.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }
}
