using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SmartParking.Server.Modules.Sensors.Mqtt.ExternalBroker;

/// <summary>
/// An MQTT broker the city already runs (section "Mqtt:ExternalBroker"): the server subscribes to it as a client and
/// takes the readings devices publish there. Off while <see cref="Host"/> is unset. Validated at start-up; every
/// error names the full setting.
/// </summary>
public sealed class ExternalBrokerOptions : IValidatableObject
{
    public const string Section = "Mqtt:ExternalBroker";

    /// <summary>The subscriptions when <see cref="TopicFilters"/> is not set: the topics devices publish to on the built-in broker.</summary>
    public static readonly IReadOnlyList<string> DefaultTopicFilters = ["parking/sensors/+/status", "parking/sensors/+/heartbeat"];

    private const string ClientIdPrefix = "smartparking-ingest-";

    /// <summary>The broker's host name or IP address; unset turns the external broker off.</summary>
    public string? Host { get; set; }

    /// <summary>1883 for plain MQTT, 8883 for MQTT over TLS, unless the broker says otherwise.</summary>
    public int Port { get; set; } = 1883;

    public bool UseTls { get; set; }

    /// <summary>
    /// A PEM or DER file with the certificate authority that signed the broker's certificate, when it is not one the
    /// system trusts (a city's private CA). Only with <see cref="UseTls"/>.
    /// </summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Accept any broker certificate. For trying things out only: it lets anyone in the middle read the readings.</summary>
    public bool AllowUntrustedCertificate { get; set; }

    public string? Username { get; set; }

    /// <summary>From the environment or a secret store (Mqtt__ExternalBroker__Password), never from a committed file; never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// The client id, which names the broker-side session that keeps messages while this node is away. Unset: a fixed
    /// prefix and the machine name, so a restarted node finds its session again. Each replica needs its own.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// With a group name (e.g. "smartparking"), every filter is subscribed as <c>$share/{group}/{filter}</c> (MQTT 5
    /// shared subscription, Mosquitto 2 and later): the broker gives each message to one of the replicas in the group.
    /// </summary>
    public string? SharedSubscriptionGroup { get; set; }

    /// <summary>
    /// What to subscribe to; the topics must keep the built-in layout <c>parking/sensors/{serial}/status|heartbeat</c>
    /// (narrow it, e.g. to status only, but do not move it). Unset: <see cref="DefaultTopicFilters"/>.
    /// </summary>
    public string[]? TopicFilters { get; set; }

    /// <summary>How long the broker keeps this client's session and queued messages while it is disconnected.</summary>
    public uint SessionExpirySeconds { get; set; } = 86_400;

    /// <summary>Messages the broker may send before the first is acknowledged (MQTT 5 Receive Maximum); they are ingested in parallel.</summary>
    public int MaxInflight { get; set; } = 256;

    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>Reconnect delays start at one second and double up to this.</summary>
    public int MaxReconnectDelaySeconds { get; set; } = 60;

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    public string EffectiveClientId => string.IsNullOrWhiteSpace(ClientId) ? ClientIdPrefix + Environment.MachineName.ToLowerInvariant() : ClientId.Trim();

    public IReadOnlyList<string> Subscriptions =>
        [.. (TopicFilters is { Length: > 0 } filters ? filters : DefaultTopicFilters)
            .Select(f => string.IsNullOrWhiteSpace(SharedSubscriptionGroup) ? f : $"$share/{SharedSubscriptionGroup}/{f}")];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled) yield break;
        if (Uri.CheckHostName(Host!.Trim()) == UriHostNameType.Unknown)
            yield return Error(nameof(Host), $"'{Host}' is not a host name or IP address (give the name only, without mqtt:// or a port)");
        if (Port is < 1 or > 65535) yield return Error(nameof(Port), "must be between 1 and 65535");
        if (!UseTls && (CaCertificatePath is not null || AllowUntrustedCertificate))
            yield return Error(nameof(UseTls), "must be true when CaCertificatePath or AllowUntrustedCertificate is set");
        if (!string.IsNullOrWhiteSpace(CaCertificatePath) && LoadCaError() is { } caError)
            yield return Error(nameof(CaCertificatePath), $"'{CaCertificatePath}' could not be read as a PEM or DER certificate: {caError}");
        if (!string.IsNullOrEmpty(Password) && string.IsNullOrEmpty(Username))
            yield return Error(nameof(Username), "must be set when a password is");
        if (EffectiveClientId.Length > 256) yield return Error(nameof(ClientId), "must be at most 256 characters");
        if (SharedSubscriptionGroup is { Length: > 0 } group && (string.IsNullOrWhiteSpace(group) || group.AsSpan().IndexOfAny("/+#") >= 0))
            yield return Error(nameof(SharedSubscriptionGroup), $"'{group}' must be a name without '/', '+' or '#'");
        foreach (var filter in TopicFilters ?? [])
            if (!IsValidFilter(filter))
                yield return Error(nameof(TopicFilters), $"'{filter}' is not an MQTT topic filter below parking/sensors/ ('+' and '#' only as whole levels, '#' last; no $share, which SharedSubscriptionGroup adds)");
        if (SessionExpirySeconds == 0) yield return Error(nameof(SessionExpirySeconds), "must be at least 1, or the broker drops queued readings whenever this node disconnects");
        if (MaxInflight is < 1 or > 65535) yield return Error(nameof(MaxInflight), "must be between 1 and 65535");
        if (KeepAliveSeconds is < 5 or > 65535) yield return Error(nameof(KeepAliveSeconds), "must be between 5 and 65535");
        if (MaxReconnectDelaySeconds is < 1 or > 3600) yield return Error(nameof(MaxReconnectDelaySeconds), "must be between 1 and 3600");
    }

    /// <summary>The certificate authority of <see cref="CaCertificatePath"/>; validation has checked that it loads.</summary>
    public X509Certificate2 LoadCa() => X509CertificateLoader.LoadCertificateFromFile(CaCertificatePath!);

    private string? LoadCaError()
    {
        try
        {
            using var _ = LoadCa();
            return null;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    private static bool IsValidFilter(string filter)
    {
        if (!filter.StartsWith("parking/sensors/", StringComparison.Ordinal) || filter.Contains('\0')) return false;
        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            if (levels[i].Contains('#') && (levels[i] != "#" || i != levels.Length - 1)) return false;
            if (levels[i].Contains('+') && levels[i] != "+") return false;
        }
        return true;
    }

    private static ValidationResult Error(string member, string message) => new($"{Section}:{member} {message}.", [member]);
}
