using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CsCheck;

namespace SmartParking.Tests.Fuzz;

/// <summary>
/// Bodies shaped like an endpoint's request type: each field plausible most of the time (so the request gets past
/// the first check and into the endpoint's own logic) and hostile now and then (<see cref="JsonFuzz"/>).
/// </summary>
public static class BodyShapes
{
    /// <param name="ids">Real ids to put in Guid fields, so lookups find something.</param>
    public static Gen<string> For(Type type, IReadOnlyList<Guid> ids, int depth = 0)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead).ToArray();
        var hostile = JsonFuzz.Value([.. properties.Select(p => Name(p.Name))]);
        var fields = properties.Select(p => Gen.Frequency(
                (16, Field(p.Name, p.PropertyType, ids, depth).Select(v => (Name(p.Name), (string?)v))),
                (2, hostile.Select(v => (Name(p.Name), (string?)v))),
                (1, Gen.Const((Name(p.Name), (string?)null)))))
            .ToArray();
        if (fields.Length == 0) return hostile;
        return Sequence(fields).Select(members => "{" + string.Join(",", members.Where(m => m.Item2 is not null).Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}");
    }

    private static Gen<(string, string?)[]> Sequence(Gen<(string, string?)>[] fields) =>
        fields.Aggregate(Gen.Const(Array.Empty<(string, string?)>()), (all, next) => all.SelectMany(a => next.Select(n => (a.Append(n).ToArray()))));

    private static string Name(string property) => JsonNamingPolicy.CamelCase.ConvertName(property);

    private static Gen<string> Field(string name, Type type, IReadOnlyList<Guid> ids, int depth)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var lower = name.ToLowerInvariant();
        if (t == typeof(string)) return Gen.OneOf(TextFor(lower)).Select(Quote);
        if (t == typeof(bool)) return Gen.Bool.Select(b => b ? "true" : "false");
        if (t == typeof(Guid)) return Gen.OneOf([.. ids, Guid.NewGuid()]).Select(g => Quote(g.ToString()));
        if (t == typeof(DateTimeOffset) || t == typeof(DateTime))
            return Gen.Int[-120, 60 * 24 * 3].Select(m => Quote(DateTimeOffset.UtcNow.AddMinutes(m).ToString("O", CultureInfo.InvariantCulture)));
        if (t == typeof(int) || t == typeof(long) || t == typeof(short)) return Gen.Int[0, 200].Select(i => i.ToString(CultureInfo.InvariantCulture));
        if (t == typeof(decimal) || t == typeof(double) || t == typeof(float))
            return lower.Contains("lat") ? Gen.Double[55.0, 57.0].Select(Number)
                : lower.Contains("lng") || lower.Contains("lon") ? Gen.Double[9.0, 11.0].Select(Number)
                : Gen.Double[0, 100].Select(d => Number(Math.Round(d, 2)));
        if (t.IsGenericType && t.GetGenericTypeDefinition() is var g && (g == typeof(IReadOnlyDictionary<,>) || g == typeof(Dictionary<,>) || g == typeof(IDictionary<,>)))
            return Gen.Int[0, 20].Select(n => $"{{\"standard\":{n},\"ev\":{n / 2}}}");
        var element = t.IsArray ? t.GetElementType() : t.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(t) ? t.GetGenericArguments()[0] : null;
        if (element is not null) return Field(name, element, ids, depth + 1).Array[0, 3].Select(items => "[" + string.Join(",", items) + "]");
        if (t.IsClass && depth < 3) return For(t, ids, depth + 1);
        return JsonFuzz.Value([]);
    }

    private static string[] TextFor(string name) => name switch
    {
        _ when name.Contains("spacetype") || name == "type" => ["standard", "ev", "accessible", "motorcycle"],
        _ when name.Contains("currency") => ["DKK", "EUR"],
        _ when name.Contains("timezone") => ["Europe/Copenhagen", "Australia/Melbourne"],
        _ when name.Contains("plate") => ["AB12345", "FZ 12 345"],
        _ when name.Contains("email") => [$"fuzz{Guid.NewGuid():N}@example.com"],
        _ when name.Contains("password") => ["Correct-Horse-1"],
        _ when name == "day" => ["mon", "sun"],
        _ when name is "opens" or "closes" => ["07:00", "22:00", "24:00"],
        _ when name.Contains("status") => ["free", "occupied"],
        _ when name == "provider" => ["sandbox"],
        _ when name == "token" => ["sandbox_ok"],
        _ when name == "kind" => ["off_street", "on_street", "magnetometer"],
        _ when name == "role" => ["driver", "operator"],
        _ when name == "unit" => ["lot", "driver"],
        _ when name.Contains("code") => ["L1", "123456"],
        _ => ["Fuzz", "Harbour Garage", "x"],
    };

    private static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string s) => JsonSerializer.Serialize(s);
}
