using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Web;

/// <summary>
/// Addresses the city's gazetteer and the car parks do not know, looked up with a Nominatim server (OpenStreetMap's
/// geocoder; its documented /search API with format=jsonv2). Offline, or with Web:GeocoderUrl empty, there is simply
/// no answer and the search says the place was not found. Nominatim's public server asks for at most one request a
/// second and an identifying User-Agent; a busy deployment should run its own and point Web:GeocoderUrl at it.
/// </summary>
public sealed class Geocoder(IHttpClientFactory clients, IOptions<WebOptions> options, TimeProvider time, ILogger<Geocoder> logger)
{
    public const string HttpClientName = "geocoder";
    private const int MaxCached = 2000;
    private readonly ConcurrentDictionary<string, Place?> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    /// <param name="cityCountries">ISO 3166 codes of the cities searched (their guides'); Web:GeocoderCountryCodes, when set, wins.</param>
    public async Task<Place?> FindAsync(string text, IReadOnlyCollection<string> cityCountries, CancellationToken ct)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.GeocoderUrl)) return null;
        var normalized = PlaceFinder.Normalize(text);
        if (normalized.Length < 3) return null;
        var countries = !string.IsNullOrWhiteSpace(o.GeocoderCountryCodes) ? o.GeocoderCountryCodes.Trim().ToLowerInvariant()
            : string.Join(',', cityCountries.Select(c => c.ToLowerInvariant()).Order(StringComparer.Ordinal));
        var key = countries + "|" + normalized;
        if (_cache.TryGetValue(key, out var known)) return known;

        await _oneAtATime.WaitAsync(ct);
        try
        {
            if (_cache.TryGetValue(key, out known)) return known;
            var wait = _last + TimeSpan.FromMilliseconds(o.GeocoderMinIntervalMs) - time.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, ct);
            _last = time.GetUtcNow();
            var place = await LookUpAsync(o, text, countries, ct);
            if (_cache.Count >= MaxCached) _cache.Clear();
            _cache[key] = place;
            return place;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            // Not cached: the service may answer next time.
            logger.LogInformation("Address lookup failed for a search: {Error}", e.Message);
            return null;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<Place?> LookUpAsync(WebOptions o, string text, string countries, CancellationToken ct)
    {
        var query = $"?q={Uri.EscapeDataString(text)}&format=jsonv2&limit=1";
        if (countries.Length > 0) query += $"&countrycodes={Uri.EscapeDataString(countries)}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(o.GeocoderTimeoutMs));
        using var response = await clients.CreateClient(HttpClientName).GetAsync(o.GeocoderUrl.TrimEnd('?') + query, timeout.Token);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var json = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
        if (json.RootElement.ValueKind != JsonValueKind.Array || json.RootElement.GetArrayLength() == 0) return null;
        var first = json.RootElement[0];
        // Nominatim gives coordinates as strings.
        if (!double.TryParse(first.GetProperty("lat").GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
            || !double.TryParse(first.GetProperty("lon").GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var lng)
            || lat is < -90 or > 90 || lng is < -180 or > 180)
            return null;
        var name = first.TryGetProperty("display_name", out var display) && display.GetString() is { Length: > 0 } shown ? Shorten(shown) : text.Trim();
        return new Place(name, lat, lng, PlaceKind.Address);
    }

    /// <summary>"Vestergade 12, Indre By, Aarhus, Aarhus Municipality, …, Denmark" reads better cut after the third part.</summary>
    private static string Shorten(string displayName) => string.Join(", ", displayName.Split(',', StringSplitOptions.TrimEntries).Take(3));
}
