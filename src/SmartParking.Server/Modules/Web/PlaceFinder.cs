using System.Globalization;
using System.Text;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Web;

/// <summary>Where a search is centred and what the driver typed resolved to.</summary>
public sealed record Place(string Name, double Latitude, double Longitude, PlaceKind Kind);

public enum PlaceKind { Landmark, Lot, Coordinates, MyLocation, Address }

/// <summary>
/// Turns what a driver types into a point: <c>lat,lng</c>, a named place of the city (its operator's city guide), a
/// lot's name or street address, and last any other address through the <see cref="Geocoder"/> (when it is online), kept
/// to the city's countries. With a city chosen only its places and lots are searched; without one, every city's.
/// </summary>
public sealed class PlaceFinder(LotCatalog lots, CityGuides guides, Geocoder geocoder)
{
    /// <param name="city">The city the driver chose; null searches every city.</param>
    public async Task<Place?> FindAsync(string? text, City? city, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        var cities = city is null ? await guides.AllAsync(ct) : [city];
        if (TryParseCoordinates(text, out var lat, out var lng))
            return new Place(string.Create(CultureInfo.InvariantCulture, $"{lat:0.#####}, {lng:0.#####}"), lat, lng, PlaceKind.Coordinates);
        if (FindLandmark(text, cities.SelectMany(c => c.Places)) is { } landmark)
            return new Place(landmark.Name, landmark.Latitude, landmark.Longitude, PlaceKind.Landmark);
        var tenants = cities.Select(c => c.TenantId).ToArray();
        var lot = (await lots.SearchPublicAsync(text, 1, ct, tenants)).FirstOrDefault();
        if (lot is not null) return new Place(lot.Name, lot.Latitude, lot.Longitude, PlaceKind.Lot);
        var countries = cities.SelectMany(c => c.CountryCodes).Distinct().ToList();
        return await geocoder.FindAsync(text, countries, ct);
    }

    /// <summary><c>56.1567, 10.2108</c> (a comma, optional spaces; decimal points) within the valid ranges.</summary>
    public static bool TryParseCoordinates(string text, out double latitude, out double longitude)
    {
        latitude = longitude = 0;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 2
               && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out latitude)
               && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out longitude)
               && latitude is >= -90 and <= 90 && longitude is >= -180 and <= 180;
    }

    /// <summary>An exact name or alias first (accents and case ignored), then one that contains the text or is contained in it.</summary>
    public static CityPlace? FindLandmark(string text, IEnumerable<CityPlace> places)
    {
        var wanted = Normalize(text);
        if (wanted.Length < 3) return null;
        var candidates = places.Select(p => (Place: p, Names: p.Aliases.Prepend(p.Name).Select(Normalize).ToArray())).ToList();
        CityPlace? First(Func<string, bool> match) => candidates.FirstOrDefault(c => c.Names.Any(match)).Place;
        return First(n => n == wanted)
               ?? First(n => n.StartsWith(wanted, StringComparison.Ordinal))
               ?? First(n => n.Length >= 4 && (n.Contains(wanted, StringComparison.Ordinal) || wanted.Contains(n, StringComparison.Ordinal)));
    }

    /// <summary>Lower case, without accents, "the" and punctuation: "The Latin-Quarter" and "latin quarter" are one place.</summary>
    internal static string Normalize(string text)
    {
        var decomposed = text.ToLowerInvariant().Replace("å", "aa", StringComparison.Ordinal).Replace("ø", "o", StringComparison.Ordinal)
            .Replace("æ", "ae", StringComparison.Ordinal).Normalize(NormalizationForm.FormD);
        var b = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            b.Append(char.IsLetterOrDigit(c) ? c : ' ');
        }
        var words = b.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w != "the");
        return string.Join(' ', words);
    }
}
