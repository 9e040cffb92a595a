using System.Net;

namespace SmartParking.Server.Modules.Sensors.Mqtt;

/// <summary>
/// Keeps the HTTP endpoints as configured once MQTT adds a listener of its own.
/// <para>
/// Kestrel binds either the host's URLs (<c>urls</c>, <c>http_ports</c>, <c>https_ports</c>: where ASPNETCORE_URLS,
/// --urls and launchSettings' applicationUrl end up) or the endpoints configured on Kestrel itself, never both.
/// With an MQTT listener configured, the URLs would be dropped with an "Overriding address(es)" warning (and with
/// PreferHostingUrls it would be MQTT that is dropped). So the URLs are moved into Kestrel's own endpoint
/// configuration (<c>Kestrel:Endpoints</c>), where Kestrel's configuration loader binds them exactly as it would
/// have bound the URLs: same address parsing, https with the configured or development certificate.
/// </para>
/// </summary>
internal static class KestrelHttpEndpoints
{
    public const string EndpointsSection = "Kestrel:Endpoints";
    public const string EndpointNamePrefix = "HostUrl";

    /// <summary>What Kestrel binds when nothing is configured.</summary>
    public const string KestrelDefaultUrl = "http://localhost:5000";

    /// <summary>Moves the configured URLs into Kestrel endpoints; returns them (empty when Kestrel endpoints were already configured).</summary>
    /// <remarks>Runs while the app is being built, so URLs set later (UseUrls after AddMqttTransport) are not seen.</remarks>
    public static IReadOnlyList<string> MoveUrlsToKestrelEndpoints(ConfigurationManager configuration)
    {
        // Endpoints configured on Kestrel already win over URLs (Kestrel's own rule), so there is nothing to keep.
        if (configuration.GetSection(EndpointsSection).GetChildren().Any()) return [];

        var urls = HostUrls(configuration);
        configuration.AddInMemoryCollection(urls.Select((url, i) =>
            new KeyValuePair<string, string?>($"{EndpointsSection}:{EndpointNamePrefix}{i}:Url", url)));

        // The host passes any URL it finds to Kestrel's address list. A value that splits into no URL stops that
        // (an empty one would make it fall back to its own copy of the setting); the ports are cleared so the host
        // does not warn that URLs override them.
        configuration[WebHostDefaults.ServerUrlsKey] = ";";
        if (!string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])) configuration[WebHostDefaults.HttpPortsKey] = "";
        if (!string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])) configuration[WebHostDefaults.HttpsPortsKey] = "";
        return urls;
    }

    /// <summary>All interfaces, as <see cref="HttpHost"/> and <c>Mqtt:Host</c> say it.</summary>
    public const string AnyHost = "*";

    /// <summary>
    /// Where HTTP listens, for MQTT to listen there too: <see cref="AnyHost"/> for all interfaces (0.0.0.0, [::], +, *,
    /// or a host name, which Kestrel binds to every interface as well), "localhost" when every URL is loopback, else
    /// the one IP address of the URLs; URLs on more than one address give all interfaces.
    /// Reads Kestrel's endpoints when configured (where <see cref="MoveUrlsToKestrelEndpoints"/> puts the URLs), else the host's URLs.
    /// </summary>
    internal static string HttpHost(IConfiguration configuration)
    {
        var endpoints = configuration.GetSection(EndpointsSection).GetChildren().Select(e => e["Url"]).OfType<string>().ToList();
        var hosts = (endpoints.Count > 0 ? endpoints : HostUrls(configuration)).Select(UrlHost).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (hosts.All(IsLoopback)) return hosts.Count == 1 && hosts[0] != "localhost" ? hosts[0] : "localhost";
        return hosts.Count == 1 && IPAddress.TryParse(hosts[0], out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)
            ? hosts[0]
            : AnyHost;
    }

    /// <summary>The host of a URL as Kestrel reads it ("+" and "*" are not valid URI hosts), without brackets.</summary>
    private static string UrlHost(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        var authority = start < 0 ? url : url[(start + 3)..];
        var slash = authority.IndexOf('/');
        if (slash >= 0) authority = authority[..slash];
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            return close < 0 ? authority : authority[1..close];
        }
        var colon = authority.LastIndexOf(':');
        return colon < 0 ? authority : authority[..colon];
    }

    internal static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>The host's precedence: <c>urls</c>; else <c>http_ports</c> and <c>https_ports</c>; else Kestrel's default.</summary>
    internal static IReadOnlyList<string> HostUrls(IConfiguration configuration)
    {
        const StringSplitOptions Split = StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries;
        var urls = configuration[WebHostDefaults.ServerUrlsKey]?.Split(';', Split) ?? [];
        if (urls.Length == 0)
        {
            urls =
            [
                .. (configuration[WebHostDefaults.HttpPortsKey] ?? "").Split(';', Split).Select(port => $"http://*:{port}"),
                .. (configuration[WebHostDefaults.HttpsPortsKey] ?? "").Split(';', Split).Select(port => $"https://*:{port}"),
            ];
        }
        return urls.Length > 0 ? urls : [KestrelDefaultUrl];
    }
}
