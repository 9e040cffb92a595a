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
