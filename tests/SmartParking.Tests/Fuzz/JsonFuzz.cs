using System.Globalization;
using System.Text;
using CsCheck;

namespace SmartParking.Tests.Fuzz;

/// <summary>
/// Generators of hostile JSON text: the values that broke us before (NUL, unpaired surrogates, numbers beyond range,
/// dates at the edges of time, huge strings) mixed with plausible ones, in objects whose keys are the fields the
/// target reads, so the fuzz reaches past the first check. Text, not JsonNode, because a JsonNode cannot hold an
/// unpaired surrogate.
/// </summary>
public static class JsonFuzz
{
    /// <summary>Iterations per target; SMARTPARKING_FUZZ_ITER raises it for a long local run.</summary>
    public static long Iterations(long inSuite) =>
        long.TryParse(Environment.GetEnvironmentVariable("SMARTPARKING_FUZZ_ITER"), out var n) && n > 0 ? n : inSuite;

    private static readonly string[] NastyScalars =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e309", "-1e309", "1e-400", "2147483648", "-9223372036854775809", "99999999999999999999999",
        "253402300800000", "-62135596801", "\"\"", "\" \"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udfff\"", "\"x\\ud83d\"", "\"\\ud83d\\ude97\"",
        "\"\\u001f\\u007f\"", "\"9999-12-31T23:59:59Z\"", "\"0001-01-01T00:00:00Z\"", "\"10000-01-01T00:00:00Z\"", "\"2026-12-05T10:00:00Z\"",
        "\"2026-12-05T10:00:00+14:00\"", "\"24:00\"", "\"25:61\"", "\"free\"", "\"occupied\"", "\"standard\"", "\"ev\"", "\"DKK\"", "\"XXX\"",
        "\"Europe/Copenhagen\"", "\"Not/AZone\"", "\"00000000-0000-0000-0000-000000000000\"", "\"not-a-guid\"", "\"AB12345\"", "\"sandbox_ok\"",
        "\"OffStreetParking\"", "\"ParkingSpot\"", "\"Point\"", "\"" + new string('a', 5000) + "\"", "\"<script>\"", "\"'; drop table lots; --\"",
    ];

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (6, Gen.OneOf(NastyScalars)),
        (2, Gen.Int.Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "0")),
        (2, Gen.String[Gen.Char[' ', '~'], 0, 20].Select(Quote)));

    /// <summary>Any JSON value, nested a few levels, with object keys drawn from <paramref name="fields"/> (and a few others).</summary>
    public static Gen<string> Value(IReadOnlyList<string> fields)
    {
        var keys = Gen.Frequency((8, Gen.OneOf(fields.Count > 0 ? [.. fields] : new[] { "id" })), (1, Gen.OneOf("\\u0000", "\\ud800", "", "type", "value", "@value")));
        return Gen.Recursive<string>((depth, inner) => depth >= 3
            ? Scalar
            : Gen.Frequency(
                (4, Scalar),
                (3, Gen.Select(keys, inner).Array[0, 8].Select(Object)),
                (1, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]"))));
    }

    /// <summary>An object built from the target's fields, each present or not, most with a hostile value.</summary>
    public static Gen<string> ObjectOf(IReadOnlyList<string> fields) =>
        Gen.Select(Gen.Bool, Value(fields)).Array[fields.Count].Select(parts =>
            Object(parts.Select((p, i) => (Key: fields[i], p.Item1, Value: p.Item2)).Where(p => p.Item2).Select(p => (p.Key, p.Value)).ToArray()));

    private static string Object((string Key, string Value)[] members)
    {
        var text = new StringBuilder("{");
        for (var i = 0; i < members.Length; i++)
        {
            if (i > 0) text.Append(',');
            // Keys already escaped (the hostile ones) are taken as they are.
            text.Append('"').Append(members[i].Key).Append("\":").Append(members[i].Value);
        }
        return text.Append('}').ToString();
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
