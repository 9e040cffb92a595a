using System.Globalization;
using System.Text.Json;

namespace SmartParking.Server.Platform.Fiware;

/// <summary>
/// Reads attributes of a FIWARE Smart Data Models entity in any of its four shapes: NGSI-v2 or NGSI-LD,
/// key-values or normalized ({"type": "Property", "value": …} / {"type": "Relationship", "object": …}).
/// </summary>
public readonly struct FiwareEntity(JsonElement root)
{
    public JsonElement Root { get; } = root;

    /// <summary>An entity is a JSON object; anything else (null, a string, a number) has no attributes.</summary>
    public bool IsObject => Root.ValueKind == JsonValueKind.Object;

    public string? Id => IsObject && Root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
    public string? Type => IsObject && Root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    /// <summary>The attribute's value with any normalized wrapper removed.</summary>
    public JsonElement? Attribute(string name)
    {
        if (!IsObject || !Root.TryGetProperty(name, out var attr)) return null;
        if (attr.ValueKind == JsonValueKind.Object)
        {
            if (attr.TryGetProperty("value", out var value)) return Unwrap(value);
            if (attr.TryGetProperty("object", out var target)) return target;
        }
        return attr;
    }

    public string? Text(string name) => Attribute(name) is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;

    public int? Integer(string name) => Attribute(name) is { ValueKind: JsonValueKind.Number } e && e.TryGetInt32(out var i) ? i : null;

    public IReadOnlyList<string> TextList(string name) => Attribute(name) switch
    {
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList(),
        { ValueKind: JsonValueKind.String } s => [s.GetString()!],
        _ => [],
    };

    /// <summary>GeoJSON Point → (lat, lng); FIWARE stores [longitude, latitude].</summary>
    public (double Lat, double Lng)? Point()
    {
        if (Attribute("location") is not { ValueKind: JsonValueKind.Object } geo) return null;
        if (!geo.TryGetProperty("coordinates", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() < 2) return null;
        var lng = c[0];
        var lat = c[1];
        // TryGetDouble refuses numbers beyond double's range (1e309) instead of throwing.
        return lng.ValueKind == JsonValueKind.Number && lat.ValueKind == JsonValueKind.Number && lat.TryGetDouble(out var la) && lng.TryGetDouble(out var ln)
            ? (la, ln) : null;
    }

    public int? SlotTotal(string name) =>
        Attribute(name) is { ValueKind: JsonValueKind.Object } slots && slots.TryGetProperty("totalSpotNumber", out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var i) ? i : null;

    public string? AddressPart(string name) =>
        Attribute("address") is { ValueKind: JsonValueKind.Object } a && a.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    /// <summary>The last segment of an id such as urn:ngsi-ld:ParkingSite:santander:daoiz_velarde_1_5, for a readable default name.</summary>
    public static string ShortName(string id)
    {
        var tail = id.Split(':', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? id;
        return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(tail.Replace('_', ' ').Replace('-', ' '));
    }

    // NGSI-LD DateTime values come as {"@type": "DateTime", "@value": "…"}.
    private static JsonElement Unwrap(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty("@value", out var inner) ? inner : value;
}
