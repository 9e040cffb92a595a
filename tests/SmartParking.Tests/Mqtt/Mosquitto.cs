using System.Diagnostics;
using System.Globalization;
using System.Text;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Mqtt;

/// <summary>
/// A running mosquitto_pub or mosquitto_sub (Debian package mosquitto-clients, installed by test.sh). Output is
/// captured as it comes; every wait has a deadline, after which the process is killed.
/// </summary>
public sealed class Mosquitto : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private const string StdBuf = "/usr/bin/stdbuf";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly string _commandLine;

    private Mosquitto(string tool, IReadOnlyList<string> args)
    {
        _commandLine = tool + " " + string.Join(' ', args);
        // Through a pipe the clients' stdio is block-buffered, so their debug lines (pings, acknowledgements) would
        // only show at exit; stdbuf (coreutils) makes them line-buffered, so tests can watch a running client.
        var start = new ProcessStartInfo(File.Exists(StdBuf) ? StdBuf : tool)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (File.Exists(StdBuf))
        {
            foreach (var arg in (string[])["-oL", "-eL", tool]) start.ArgumentList.Add(arg);
        }
        foreach (var arg in args) start.ArgumentList.Add(arg);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        try
        {
            _process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed; run ./test.sh as root or apt-get install mosquitto-clients.", e);
        }
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Standard output and error, interleaved as they arrived.</summary>
    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    /// <summary>
    /// mosquitto_pub as a device: user name = serial, password = secret, MQTT 3.1.1, with -d so a failure shows the packets.
    /// </summary>
    public static Mosquitto Pub(int port, TestDevice device, string topic, string message, int qos, params string[] extra) =>
        new("mosquitto_pub", [.. Common(port, device.Serial, device.Secret), "-t", topic, "-m", message, "-q", qos.ToString(CultureInfo.InvariantCulture), .. extra]);

    /// <summary>mosquitto_sub as a device, printing each message's topic and payload ("-v") and debug lines ("-d").</summary>
    public static Mosquitto Sub(int port, TestDevice device, string filter, params string[] extra) =>
        new("mosquitto_sub", [.. Common(port, device.Serial, device.Secret), "-t", filter, "-v", .. extra]);

    /// <summary>Any client with the given arguments (credentials included or not).</summary>
    public static Mosquitto Run(string tool, params string[] args) => new(tool, args);

    public static string[] Common(int port, string? user, string? password) =>
    [
        "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv311", "-d",
        .. user is null ? Array.Empty<string>() : ["-u", user],
        .. password is null ? Array.Empty<string>() : ["-P", password],
    ];

    /// <summary>The exit code; the process is killed (and the test fails) when it does not exit in time.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"'{_commandLine}' did not exit within {timeout ?? DefaultTimeout}; output:\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>Waits until the output satisfies <paramref name="done"/>, polling with a deadline.</summary>
    public Task<string> OutputAsync(Func<string, bool> done, string what, TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => Task.FromResult(Output), done, timeout ?? DefaultTimeout, $"{what} from '{_commandLine}'");

    public override string ToString() => $"'{_commandLine}':\n{Output}";

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited in between.
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_gate) _output.Append(line).Append('\n');
    }
}
