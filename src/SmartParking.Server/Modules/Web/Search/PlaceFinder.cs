using System.Globalization;
using System.Text;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Web.Search;

/// <summary>Where a search is centred and what the driver typed resolved to.</summary>
public sealed record Place(string Name, double Latitude, double Longitude, PlaceKind Kind);

public enum PlaceKind { Landmark, Lot, Coordinates, MyLocation, Address }

/// <summary>A named place of the city, with the other names drivers use for it.</summary>
public sealed record Landmark(string Name, double Latitude, double Longitude, params string[] Aliases);

/// <summary>
/// Turns what a driver types into a point: <c>lat,lng</c>, a landmark of the city, a lot's name or street address, and
/// last any other address through the <see cref="Geocoder"/> (when it is online). The gazetteer is small and in code,
/// so the city's own places are found offline too.
/// </summary>
public sealed class PlaceFinder(LotCatalog lots, Geocoder geocoder)
{
    public static readonly IReadOnlyList<Landmark> Landmarks =
    [
        new("Aarhus Cathedral", 56.15679, 10.21069, "Aarhus Domkirke", "Domkirken", "Cathedral"),
        new("ARoS Aarhus Art Museum", 56.15388, 10.19965, "ARoS", "Art Museum"),
        new("Dokk1", 56.15344, 10.21426, "Dokk 1", "Main Library"),
        new("Aarhus Central Station", 56.15030, 10.20460, "Aarhus H", "Central Station", "Train Station", "Banegården"),
        new("Musikhuset Aarhus", 56.15350, 10.19770, "Musikhuset", "Concert Hall"),
        new("Godsbanen", 56.15560, 10.19640),
        new("Latin Quarter", 56.15850, 10.21030, "Latinerkvarteret"),
        new("Aarhus University", 56.16810, 10.20390, "Aarhus Universitet", "University Park", "Universitetsparken"),
        new("Den Gamle By", 56.15880, 10.19190, "The Old Town"),
        new("Aarhus City Hall", 56.15270, 10.20320, "Aarhus Rådhus", "City Hall", "Rådhuset"),
        new("Aarhus Theatre", 56.15710, 10.20880, "Aarhus Teater"),
        new("Botanical Garden", 56.16060, 10.19330, "Botanisk Have"),
        new("Moesgaard Museum", 56.08860, 10.22470, "Moesgaard"),
        new("Ceres Park", 56.13210, 10.19690, "Aarhus Stadium", "Atletion"),
    ];

    public async Task<Place?> FindAsync(string? text, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (TryParseCoordinates(text, out var lat, out var lng))
            return new Place(string.Create(CultureInfo.InvariantCulture, $"{lat:0.#####}, {lng:0.#####}"), lat, lng, PlaceKind.Coordinates);
        if (FindLandmark(text) is { } landmark) return new Place(landmark.Name, landmark.Latitude, landmark.Longitude, PlaceKind.Landmark);
        var lot = (await lots.SearchPublicAsync(text, 1, ct)).FirstOrDefault();
        return lot is not null ? new Place(lot.Name, lot.Latitude, lot.Longitude, PlaceKind.Lot) : await geocoder.FindAsync(text, ct);
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
    public static Landmark? FindLandmark(string text)
    {
        var wanted = Normalize(text);
        if (wanted.Length < 3) return null;
        bool Any(Landmark l, Func<string, bool> match) => match(Normalize(l.Name)) || l.Aliases.Any(a => match(Normalize(a)));
        return Landmarks.FirstOrDefault(l => Any(l, n => n == wanted))
               ?? Landmarks.FirstOrDefault(l => Any(l, n => n.StartsWith(wanted, StringComparison.Ordinal)))
               ?? Landmarks.FirstOrDefault(l => Any(l, n => n.Length >= 4 && (n.Contains(wanted, StringComparison.Ordinal) || wanted.Contains(n, StringComparison.Ordinal))));
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
