using System.ComponentModel.DataAnnotations;
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
/// The gateway is not registered here: the ingest pipeline registers it. Without one the host does not start.
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
        builder.Services.AddHostedService<MqttStartupCheck>();

        if (!section.GetValue(nameof(MqttOptions.Enabled), defaultValue: true)) return;

        KestrelHttpEndpoints.MoveUrlsToKestrelEndpoints(builder.Configuration);
        var contentRoot = builder.Environment.ContentRootPath;
        var configuration = builder.Configuration;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // This runs inside builder.Build(), before the host exists: anything thrown here would skip the host's
            // clean-up (Program stops the embedded PostgreSQL only once the app is built). So nothing here throws:
            // invalid settings add no listener and a certificate that does not load is only recorded; validation
            // and MqttStartupCheck then stop the host at start with the reason.
            var options = section.Get<MqttOptions>() ?? new MqttOptions();
            if (!Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true)) return;
            var listeners = kestrel.ApplicationServices.GetRequiredService<MqttListeners>();
            var host = string.IsNullOrWhiteSpace(options.Host) ? KestrelHttpEndpoints.HttpHost(configuration) : options.Host.Trim();
            Listen(kestrel, host, options.Port, listen =>
            {
                listeners.Add(listen, tls: false);
                listen.UseConnectionHandler<MqttConnectionHandler>();
            });
            if (string.IsNullOrWhiteSpace(options.CertificatePath)) return;

            X509Certificate2 certificate;
            try
            {
                certificate = LoadCertificate(Path.Combine(contentRoot, options.CertificatePath), options.CertificatePassword);
            }
            catch (InvalidOperationException e)
            {
                listeners.CertificateError = e;
                return;
            }
            Listen(kestrel, host, options.TlsPort, listen =>
            {
                listen.UseHttps(certificate);
                listeners.Add(listen, tls: true);
                listen.UseConnectionHandler<MqttConnectionHandler>();
            });
        });
    }

    /// <summary>Listens on <paramref name="host"/> as validated by <see cref="MqttOptions"/>.</summary>
    private static void Listen(KestrelServerOptions kestrel, string host, int port, Action<ListenOptions> configure)
    {
        if (host is KestrelHttpEndpoints.AnyHost or "+") kestrel.ListenAnyIP(port, configure);
        // Kestrel cannot bind "localhost" (both loopbacks) to a free port, which only the tests ask for.
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (port == 0) kestrel.Listen(IPAddress.Loopback, port, configure);
            else kestrel.ListenLocalhost(port, configure);
        }
        else kestrel.Listen(IPAddress.Parse(host.Trim('[', ']')), port, configure);
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

    /// <summary>Set when the TLS certificate could not be loaded; start-up then fails with it.</summary>
    public InvalidOperationException? CertificateError { get; set; }

    /// <summary>The port of the plain or TLS listener, once bound.</summary>
    public int Port(bool tls) => EndPoints.First(e => e.Tls == tls).EndPoint.Port;
}

/// <summary>
/// Stops the host before Kestrel binds when MQTT cannot work (app hosted services start before the server), and
/// logs one line saying whether and where MQTT listens once it does.
/// </summary>
internal sealed class MqttStartupCheck(IServiceProvider services, IHostApplicationLifetime lifetime, MqttListeners listeners,
    IOptions<MqttOptions> options, ILogger<MqttStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            lifetime.ApplicationStarted.Register(() => MqttLog.Disabled(logger));
            return Task.CompletedTask;
        }
        if (services.GetService<IServiceProviderIsService>()?.IsService(typeof(IMqttDeviceGateway)) == false)
        {
            throw new InvalidOperationException(
                $"The MQTT transport is enabled (Mqtt:Enabled) but no {nameof(IMqttDeviceGateway)} is registered. The ingest pipeline " +
                "registers it; until it does, set Mqtt:Enabled to false.");
        }
        if (listeners.CertificateError is { } error) throw error;

        lifetime.ApplicationStarted.Register(() =>
        {
            var endPoints = listeners.EndPoints;
            if (endPoints.Count == 0) MqttLog.NotListening(logger);
            else MqttLog.Listening(logger, string.Join(", ", endPoints.Select(e => $"{e.EndPoint} ({(e.Tls ? "TLS" : "plain")})")));
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
