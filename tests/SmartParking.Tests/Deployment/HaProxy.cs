using SmartParking.Tests.Infrastructure;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SmartParking.Tests.Deployment;

/// <summary>
/// HAProxy (Debian package haproxy) in front of server nodes, as a load balancer would be: HTTP balanced round-robin
/// with readiness checks and connection failures retried on another node, MQTT balanced as plain TCP.
/// </summary>
public sealed class HaProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HaProxy(Process process, int httpPort, int mqttPort, string configPath)
    {
        _process = process;
        HttpPort = httpPort;
        MqttPort = mqttPort;
        ConfigPath = configPath;
    }

    public int HttpPort { get; }
    public int MqttPort { get; }
    public string ConfigPath { get; }
    public Uri BaseUri => new($"http://127.0.0.1:{HttpPort}");

    public static HaProxy Start(IReadOnlyList<(int Http, int Mqtt)> nodes)
    {
        var ports = FreePorts.Many(2);
        var (http, mqtt) = (ports[0], ports[1]);
        var config = new StringBuilder($$"""
            global
                maxconn 4096
            defaults
                timeout connect 1s
                timeout client 120s
                timeout server 120s
                timeout tunnel 1h
                retries 3
                option redispatch
            frontend http
                bind 127.0.0.1:{{http}}
                mode http
                default_backend nodes
            backend nodes
                mode http
                balance roundrobin
                option httpchk GET /health/ready
                retry-on conn-failure empty-response
                http-response set-header X-Served-By %[srv_name]
            """);
        config.AppendLine();
        for (var i = 0; i < nodes.Count; i++)
            config.AppendLine(CultureInfo.InvariantCulture, $"    server n{i + 1} 127.0.0.1:{nodes[i].Http} check inter 500ms fall 2 rise 1");
        config.AppendLine(CultureInfo.InvariantCulture, $"""
            frontend mqtt
                bind 127.0.0.1:{mqtt}
                mode tcp
                default_backend mqtt
            backend mqtt
                mode tcp
                balance roundrobin
            """);
        for (var i = 0; i < nodes.Count; i++)
            config.AppendLine(CultureInfo.InvariantCulture, $"    server m{i + 1} 127.0.0.1:{nodes[i].Mqtt} check inter 500ms fall 2 rise 1");
        var path = Path.Combine(Path.GetTempPath(), $"sp-haproxy-{Guid.NewGuid():N}.cfg");
        File.WriteAllText(path, config.ToString());
        var start = new ProcessStartInfo("haproxy") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-f", path, "-db" }) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start haproxy (apt-get install haproxy).");
        var proxy = new HaProxy(process, http, mqtt, path);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (proxy._output) proxy._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (proxy._output) proxy._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return proxy;
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        File.Delete(ConfigPath);
    }
}
