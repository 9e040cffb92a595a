using System.Globalization;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Lots;

/// <summary>The closed sets of values lots and spaces use, and the checks that go with them.</summary>
public static class LotsVocabulary
{
    public static readonly string[] LotKinds = ["off_street", "on_street"];
    public static readonly string[] SpaceTypes = ["standard", "accessible", "ev", "compact", "motorcycle", "loading"];
    public static readonly string[] Amenities = ["ev_charging", "accessible", "covered", "security", "cctv", "toilets", "bike_parking", "lift", "car_wash", "valet", "height_limit"];
    public static readonly string[] Days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    private static readonly Lazy<HashSet<string>> Currencies = new(() =>
        CultureInfo.GetCultures(CultureTypes.SpecificCultures)
            .Select(c => { try { return new RegionInfo(c.Name).ISOCurrencySymbol; } catch (ArgumentException) { return null; } })
            .Where(c => c is { Length: 3 })
            .Select(c => c!)
            .Append("EUR").Append("USD").Append("DKK").Append("GBP")
            .ToHashSet(StringComparer.Ordinal));

    public static bool IsCurrency(string? code) => code is { Length: 3 } && Currencies.Value.Contains(code);

    /// <summary>An IANA zone id; Windows ids (which the runtime also finds) are refused, as the messages promise IANA.</summary>
    public static bool IsTimeZone(string? id) => !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId;

    public static Validation Coordinates(this Validation v, double? latitude, double? longitude, string prefix = "")
    {
        v.Check(latitude is >= -90 and <= 90, prefix + "latitude", "must be between -90 and 90.");
        v.Check(longitude is >= -180 and <= 180, prefix + "longitude", "must be between -180 and 180.");
        return v;
    }
}

public sealed record OpeningHours(string Day, string Opens, string Closes)
{
    /// <summary>Checks each entry; an empty list means open around the clock.</summary>
    public static void Validate(Validation v, IReadOnlyList<OpeningHours>? hours)
    {
        if (hours is null) return;
        if (hours.Count > 50) { v.Add("openingHours", "has too many entries."); return; }
        for (var i = 0; i < hours.Count; i++)
        {
            var h = hours[i];
            var field = $"openingHours[{i}]";
            v.OneOf(h.Day, field + ".day", LotsVocabulary.Days);
            var opens = ParseTime(h.Opens);
            var closes = ParseTime(h.Closes);
            v.Check(opens is not null, field + ".opens", "must be a time HH:mm.");
            v.Check(closes is not null, field + ".closes", "must be a time HH:mm (24:00 for midnight).");
            if (opens is not null && closes is not null) v.Check(closes > opens, field + ".closes", "must be after 'opens'.");
        }
    }

    private static TimeSpan? ParseTime(string? value) =>
        value == "24:00" ? TimeSpan.FromHours(24)
        : TimeSpan.TryParseExact(value, @"hh\:mm", CultureInfo.InvariantCulture, out var t) ? t : null;
}
