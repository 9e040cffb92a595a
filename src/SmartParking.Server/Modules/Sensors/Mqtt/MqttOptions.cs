using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>The MQTT transport (section "Mqtt"). Validated at start-up.</summary>
public sealed class MqttOptions : IValidatableObject
{
    public const string Section = "Mqtt";

    /// <summary>Whether Kestrel listens for MQTT at all. When true, an <see cref="IMqttDeviceGateway"/> must be registered.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Where MQTT listens: an IP address, "localhost" (loopback) or "*" (all interfaces). Unset means where HTTP
    /// listens (the host of <c>--urls</c>/ASPNETCORE_URLS), so a server kept on loopback keeps MQTT there too.
    /// </summary>
    public string? Host { get; set; }

    /// <summary>Plain-TCP MQTT port; 0 picks a free port (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>MQTT over TLS port, used only when <see cref="CertificatePath"/> is set.</summary>
    [Range(0, 65535)]
    public int TlsPort { get; set; } = 8883;

    /// <summary>PKCS#12 (.pfx) file with the server certificate and key, relative to the content root; unset means no TLS listener.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Largest packet accepted from or sent to a device, header included. Larger ones close the connection as soon as
    /// their header arrives. At most 1 MiB: Kestrel stops reading a connection whose unconsumed input reaches its
    /// 1 MiB read buffer, so a bigger packet could never complete.
    /// </summary>
    [Range(256, 1024 * 1024)]
    public int MaxPacketBytes { get; set; } = 64 * 1024;

    /// <summary>How long a new connection may take to send CONNECT, and how long authenticating it may take.</summary>
    [Range(1, 300)]
    public int ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// MQTT 3.1.1 lets the client choose its keep-alive. Larger values, and 0 (no keep-alive), are treated as this one,
    /// so a silent connection is closed after 1.5 times it at the latest.
    /// </summary>
    [Range(1, 65535)]
    public int MaxKeepAliveSeconds { get; set; } = 900;

    /// <summary>
    /// PUBLISH packets of one connection read ahead while earlier ones wait for the gateway. When that many are
    /// waiting the connection stops reading, which pushes back on the device through TCP. With Kestrel's 1 MiB input
    /// buffer this bounds a connection's memory at about 1 MiB + MaxInflight × MaxPacketBytes (2 MiB by default).
    /// </summary>
    [Range(1, 65535)]
    public int MaxInflight { get; set; } = 16;

    /// <summary>Open MQTT connections on this node; further ones are closed on accept.</summary>
    [Range(1, 10_000_000)]
    public int MaxConnections { get; set; } = 50_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && !string.IsNullOrWhiteSpace(CertificatePath) && TlsPort == Port && Port != 0)
            yield return new ValidationResult("TlsPort must differ from Port.", [nameof(TlsPort)]);
        if (!string.IsNullOrWhiteSpace(Host) && Host.Trim() is not (KestrelHttpEndpoints.AnyHost or "+") && !string.Equals(Host.Trim(), "localhost", StringComparison.OrdinalIgnoreCase)
            && !System.Net.IPAddress.TryParse(Host.Trim().Trim('[', ']'), out _))
            yield return new ValidationResult($"Host '{Host}' must be an IP address, localhost or *.", [nameof(Host)]);
    }
}
