using System.Runtime.InteropServices;
using System.Text.Json;

namespace SmartParking.Server.Platform.Input;

/// <summary>
/// Text PostgreSQL cannot store: a NUL character (text never holds one) or an unpaired UTF-16 surrogate (it has no
/// UTF-8 form). Either fails the whole statement it is in (SQLSTATE 22021), taking every other row with it, so it is
/// refused where it comes in.
/// </summary>
public static class StoredText
{
    /// <summary>Why the text cannot be stored, or null when it can.</summary>
    public static string? Problem(string? value)
    {
        if (value is null) return null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0') return "must not contain NUL characters.";
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
            else return "contains an unpaired UTF-16 surrogate.";
        }
        return null;
    }

    /// <summary>For identifiers and device-reported labels (serials, firmware versions): storable, printable, bounded.</summary>
    public static string? LabelProblem(string? value, int maxLength)
    {
        if (value is null) return null;
        if (value.Length > maxLength) return $"must be at most {maxLength} characters.";
        if (Problem(value) is { } problem) return problem;
        return value.Any(char.IsControl) ? "must not contain control characters." : null;
    }

    /// <summary>
    /// The first string or property name in a JSON value that cannot be stored, as "path: reason", or null. Raw NUL
    /// bytes and broken UTF-8 never pass the JSON reader, so only escaped strings need decoding.
    /// </summary>
    public static string? Problem(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return StringProblem(element, path);
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    if (Problem(item, $"{path}[{index++}]") is { } inItem) return inItem;
                return null;
            case JsonValueKind.Object:
                if (NamesProblem(element) is { } badName) return $"{path}: {badName}";
                foreach (var property in element.EnumerateObject())
                    if (Problem(property.Value, $"{path}.{property.Name}") is { } inValue) return inValue;
                return null;
            default:
                return null;
        }
    }

    /// <summary>The first of an object's own property names that cannot be read or stored, as a reason, or null.</summary>
    public static string? NamesProblem(JsonElement obj)
    {
        foreach (var property in obj.EnumerateObject())
        {
            string name;
            try { name = property.Name; }
            catch (InvalidOperationException) { return "a property name contains an unpaired UTF-16 surrogate."; }
            if (Problem(name) is { } badName) return "a property name " + badName;
        }
        return null;
    }

    private static string? StringProblem(JsonElement element, string path)
    {
        if (JsonMarshal.GetRawUtf8Value(element).IndexOf((byte)'\\') < 0) return null;
        string? text;
        try { text = element.GetString(); }
        catch (InvalidOperationException) { return $"{path} contains an unpaired UTF-16 surrogate."; }
        return Problem(text) is { } problem ? $"{path} {problem}" : null;
    }
}
