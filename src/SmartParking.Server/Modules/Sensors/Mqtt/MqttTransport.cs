using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>
/// The MQTT 3.1.1 server transport: Kestrel listeners whose connections speak MQTT instead of HTTP.
/// <list type="bullet">
/// <item>Devices sign in with user name = sensor serial, password = device secret, checked by <see cref="IMqttDeviceGateway"/>.</item>
/// <item>PUBLISH QoS 0, 1 and 2 in; QoS 1 and 2 are acknowledged only after the gateway accepted the message.</item>
/// <item>A device may subscribe only to its own command topics; <see cref="MqttDeviceCommands"/> publishes to them at QoS 0.</item>
/// <item>
/// No session outlives its connection: every connection is treated as clean session, and CONNACK always says
/// "session present = 0" (also to clients asking for a persistent session, which then know they have none).
/// Will messages are decoded and validated but never published. Retained messages are not kept (the flag is ignored).
/// </item>
/// </list>
/// The gateway is not registered here: the ingest pipeline registers it. Without one, Kestrel fails to start.
/// </summary>
public static class MqttTransport
{
    public static void AddMqttTransport(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(MqttOptions.Section);
        builder.Services.AddOptions<MqttOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<MqttMetrics>();
        builder.Services.AddSingleton<MqttSessionRegistry>();
        builder.Services.AddSingleton<MqttListeners>();
        builder.Services.AddSingleton<MqttConnectionHandler>();
        // Registered whether or not MQTT is enabled, so callers need no check: with no listener nobody is subscribed.
        builder.Services.AddSingleton(services => new MqttDeviceCommands(services.GetRequiredService<MqttSessionRegistry>(),
            services.GetRequiredService<MqttMetrics>(), services.GetRequiredService<IOptions<MqttOptions>>()));
        builder.Services.AddHostedService<MqttStartupReport>();

        if (!section.GetValue(nameof(MqttOptions.Enabled), defaultValue: true)) return;

        KestrelHttpEndpoints.MoveUrlsToKestrelEndpoints(builder.Configuration);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var services = kestrel.ApplicationServices;
            // Reading the options validates them, before anything binds.
            var options = services.GetRequiredService<IOptions<MqttOptions>>().Value;
            var listeners = services.GetRequiredService<MqttListeners>();
            kestrel.ListenAnyIP(options.Port, listen =>
            {
                listeners.Add(listen, tls: false);
                listen.UseConnectionHandler<MqttConnectionHandler>();
            });
            if (string.IsNullOrWhiteSpace(options.CertificatePath)) return;

            var certificate = LoadCertificate(Path.Combine(contentRoot, options.CertificatePath), options.CertificatePassword);
            kestrel.ListenAnyIP(options.TlsPort, listen =>
            {
                listen.UseHttps(certificate);
                listeners.Add(listen, tls: true);
                listen.UseConnectionHandler<MqttConnectionHandler>();
            });
        });
    }

    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Mqtt:CertificatePath '{path}' could not be loaded as a PKCS#12 certificate with its key: {e.Message}", e);
        }
    }
}

/// <summary>The MQTT listeners Kestrel was given; after start-up they show the bound ports (which matters for port 0).</summary>
internal sealed class MqttListeners
{
    private readonly Lock _gate = new();
    private readonly List<(ListenOptions Listen, bool Tls)> _listeners = [];

    public void Add(ListenOptions listen, bool tls)
    {
        lock (_gate) _listeners.Add((listen, tls));
    }

    public IReadOnlyList<(IPEndPoint EndPoint, bool Tls)> EndPoints
    {
        get
        {
            lock (_gate) return [.. _listeners.Where(l => l.Listen.IPEndPoint is not null).Select(l => (l.Listen.IPEndPoint!, l.Tls))];
        }
    }

    /// <summary>The port of the plain or TLS listener, once bound.</summary>
    public int Port(bool tls) => EndPoints.First(e => e.Tls == tls).EndPoint.Port;
}

/// <summary>One start-up line saying whether and where MQTT listens.</summary>
internal sealed class MqttStartupReport(IHostApplicationLifetime lifetime, MqttListeners listeners, IConfiguration configuration,
    ILogger<MqttStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var endPoints = listeners.EndPoints;
            if (!configuration.GetSection(MqttOptions.Section).GetValue(nameof(MqttOptions.Enabled), defaultValue: true)) MqttLog.Disabled(logger);
            else if (endPoints.Count == 0) MqttLog.NotListening(logger);
            else MqttLog.Listening(logger, string.Join(", ", endPoints.Select(e => $"{e.EndPoint} ({(e.Tls ? "TLS" : "plain")})")));
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
