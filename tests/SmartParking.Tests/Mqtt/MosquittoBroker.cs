using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Mqtt;

/// <summary>
/// A real Mosquitto broker (Debian package mosquitto, installed by test.sh) on a free loopback port, anonymous, for
/// the external-broker tests. It can be stopped and started again on the same port; disposing kills it.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/mosquitto";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sp-mosquitto-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; }

    private MosquittoBroker(int port, Func<string, string> listenerSettings)
    {
        Port = port;
        Directory.CreateDirectory(_directory);
        File.WriteAllText(ConfigPath, $"""
            listener {port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1
            {listenerSettings(_directory)}
            allow_anonymous true
            persistence false
            # Messages queued for a disconnected persistent session; the default (1000) would drop the rate test's.
            max_queued_messages 100000
            log_dest stdout
            """);
    }

    private string ConfigPath => Path.Combine(_directory, "mosquitto.conf");

    /// <summary>Everything the broker printed, for failure messages.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>
    /// Starts a broker; <paramref name="listenerSettings"/> gets the broker's own directory (for files it needs) and
    /// returns more settings of its listener, e.g. TLS.
    /// </summary>
    public static async Task<MosquittoBroker> StartAsync(Func<string, string>? listenerSettings = null)
    {
        var broker = new MosquittoBroker(FreePort(), listenerSettings ?? (_ => ""));
        await broker.StartAgainAsync();
        return broker;
    }

    /// <summary>Starts the broker (again) on its port and waits until it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} is not installed; run ./test.sh as root or apt-get install mosquitto.");
        var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-c", ConfigPath]) start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await Poll.UntilAsync(async () => !process.HasExited && await AcceptsAsync(), up => up || process.HasExited, StartTimeout, $"mosquitto on port {Port}");
        if (process.HasExited) throw new InvalidOperationException($"mosquitto exited at start:\n{Output}");
    }

    /// <summary>Kills the broker; its sessions go with it (no persistence).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<bool> AcceptsAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Append(line).Append('\n');
    }
}
