using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Web;

/// <summary>
/// The pages' CSP: our own scripts and the Blazor circuit's websocket, Leaflet from its configured origin, map tiles
/// from the tile server. Inline styles are allowed because Blazor's reconnect dialog and Leaflet position elements with
/// them; scripts are never inline and never evaluated.
/// </summary>
public sealed class WebPagePolicy(IOptions<WebOptions> options) : IPagePolicy
{
    private readonly string _policy = Build(options.Value);

    public string ContentSecurityPolicy(HttpContext http)
    {
        // 'self' does not cover ws: in every browser, so the circuit's own origin is named.
        var host = http.Request.Host.Value;
        var socket = string.IsNullOrEmpty(host) ? "" : $" {(http.Request.IsHttps ? "wss" : "ws")}://{host}";
        return _policy.Replace("{socket}", socket, StringComparison.Ordinal);
    }

    private static string Build(WebOptions o)
    {
        var leaflet = WebOptions.Origin(o.LeafletBaseUrl) is { } l ? " " + l : "";
        var tiles = WebOptions.Origin(o.TileUrl) is { } t ? " " + t : "";
        return $"default-src 'self'; script-src 'self'{leaflet}; style-src 'self' 'unsafe-inline'{leaflet}; img-src 'self' data:{tiles}{leaflet}; " +
               "connect-src 'self'{socket}; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    }
}
