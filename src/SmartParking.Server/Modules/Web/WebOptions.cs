using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Web;

/// <summary>The driver web app's settings (section <c>Web</c>).</summary>
public sealed class WebOptions
{
    public const string Section = "Web";

    /// <summary>Where leaflet.js and leaflet.css are loaded from; empty turns the map off (the list still works).</summary>
    public string LeafletBaseUrl { get; set; } = "https://unpkg.com/leaflet@1.9.4/dist/";

    /// <summary>Subresource Integrity of leaflet.js and leaflet.css at that URL (those of the npm package 1.9.4); empty skips the check.</summary>
    public string LeafletScriptIntegrity { get; set; } = "sha256-20nQCchB9co0qIjJZRGuk2/Z9VM+kNiyxNV1lvTlZBo=";
    public string LeafletCssIntegrity { get; set; } = "sha256-p4NxAoJBhIIN+hmNHrzRCf9tD/miZyoHS5obTRR9BMY=";

    [Required] public string TileUrl { get; set; } = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
    [Required] public string TileAttribution { get; set; } = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors";

    /// <summary>The zone of a parking window's start when neither a chosen city nor a found lot gives one (an empty platform).</summary>
    [Required] public string DefaultTimeZone { get; set; } = "Europe/Copenhagen";

    [Range(100, 50_000)] public double SearchRadiusMeters { get; set; } = 3000;
    [Range(1, 200)] public int MaxResults { get; set; } = 25;

    /// <summary>The longest a live count waits before it is drawn; changes in between are drawn together.</summary>
    [Range(50, 5000)] public int LiveRenderIntervalMs { get; set; } = 300;

    /// <summary>A Nominatim /search endpoint for addresses the gazetteer and car parks do not know; empty turns it off.</summary>
    public string GeocoderUrl { get; set; } = "https://nominatim.openstreetmap.org/search";

    /// <summary>
    /// ISO country codes (comma-separated) the address lookup keeps to; empty = the countries of the searched cities'
    /// guides (anywhere when no guide names one).
    /// </summary>
    public string GeocoderCountryCodes { get; set; } = "";

    [Range(100, 30_000)] public int GeocoderTimeoutMs { get; set; } = 3000;

    /// <summary>Nominatim's public server allows one request a second per application.</summary>
    [Range(0, 60_000)] public int GeocoderMinIntervalMs { get; set; } = 1000;

    /// <summary>The scheme and host of an absolute URL (for the CSP), or null for an empty or relative one.</summary>
    public static string? Origin(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        // Tile templates may carry {s} subdomains; the CSP then allows any subdomain of that host.
        var probe = url.Replace("{s}", "s", StringComparison.Ordinal);
        if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;
        var host = url.Contains("{s}.", StringComparison.Ordinal) ? "*." + uri.Host[(uri.Host.IndexOf('.') + 1)..] : uri.Host;
        return uri.IsDefaultPort ? $"{uri.Scheme}://{host}" : $"{uri.Scheme}://{host}:{uri.Port}";
    }
}
