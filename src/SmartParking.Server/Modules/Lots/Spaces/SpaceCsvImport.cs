using System.Globalization;
using System.Security.Claims;
using CsvHelper;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Lots.Spaces;

/// <summary>
/// Bulk import of spaces from CSV with a header row: label,type,level,zone,out_of_service,latitude,longitude,external_id
/// (only label and type are required). Rows are upserted by label; zones named by code are created as needed.
/// All rows are checked first and nothing is written if any space is bad. Optional sensor_serial and sensor_kind
/// (default magnetometer) register or link the space's sensor; a sensor that cannot be taken is reported by row and
/// column in the result's errors and does not stop the other rows.
/// </summary>
public static class SpaceCsvImport
{
    public const int MaxRows = 50_000;

    /// <summary>The columns a file may have, in any order (names ignore case, spaces and underscores).</summary>
    internal static readonly (string Name, bool Required, string Meaning)[] Columns =
    [
        ("label", true, "the space's name in the lot, at most 40 characters; a row with a label the lot has updates that space"),
        ("type", true, "one of " + string.Join(", ", LotsVocabulary.SpaceTypes)),
        ("level", false, "floor or level, at most 40 characters"),
        ("zone", false, "a zone's code, at most 40 characters; a zone not yet in the lot is created"),
        ("out_of_service", false, "true/false (yes/no, 1/0); empty means in service"),
        ("latitude", false, "decimal degrees (WGS 84), with longitude"),
        ("longitude", false, "decimal degrees (WGS 84), with latitude"),
        ("external_id", false, "the space's id elsewhere, e.g. its FIWARE ParkingSpot id, at most 300 characters"),
        ("sensor_serial", false, "the serial of the sensor on this space: registered if new (its secret is answered once) or moved here"),
        ("sensor_kind", false, "with sensor_serial: one of " + string.Join(", ", SensorKinds.All) + "; a new sensor defaults to magnetometer"),
    ];

    /// <summary>What the OpenAPI document says about the file.</summary>
    public static string Description { get; } =
        $"UTF-8 CSV (text/csv) with a header row and one row per space, at most {MaxRows:N0} rows; nothing is written if any row's space columns are bad (a sensor problem is reported for its row while the others go in). Columns:\n"
        + string.Join("\n", Columns.Select(c => $"- {c.Name} ({(c.Required ? "required" : "optional")}): {c.Meaning}"));

    /// <summary>With rotateSecrets=true, sensors already registered get new secrets too (returned once, like those of new sensors).</summary>
    public static async Task<IResult> ImportAsync(Guid lotId, HttpRequest request, ClaimsPrincipal principal, SpaceService spaces, bool? rotateSecrets, CancellationToken ct)
    {
        if (request.ContentType is { } type && !type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) && !type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            throw new ValidationException("Content-Type", "must be text/csv.");
        return TypedResults.Ok(await spaces.ImportCsvAsync(principal, lotId, request.Body, rotateSecrets ?? false, ct));
    }

    internal sealed record CsvRow(int Line, SpaceRequest Request, string? Zone, string? SensorSerial, string? SensorKind);

    internal static async Task<List<CsvRow>> ReadAsync(Stream upload, CancellationToken ct)
    {
        // Read whole (the request size limit bounds it) to refuse a file that is not UTF-8 rather than store
        // replacement characters in its labels without a word.
        using var body = new MemoryStream();
        await upload.CopyToAsync(body, ct);
        if (NotUtf8Line(body.GetBuffer().AsSpan(0, (int)body.Length)) is { } line)
            throw new ValidationException("body", $"is not UTF-8 text (first at line {line}); save the file as UTF-8 (CSV UTF-8 in spreadsheets).");
        body.Position = 0;
        var options = new CsvReaderOptions
        {
            HasHeader = true,
            TrimWhitespace = true,
            SkipEmptyLines = true,
            TrackLineNumbers = true,
            MaxRecordSize = 64 * 1024,
            NormalizeHeaderName = h => h.Trim().ToLowerInvariant().Replace("_", "").Replace(" ", ""),
        };
        var errors = new Validation();
        var rows = new List<CsvRow>();
        var labels = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var csv = CsvReader.Create(body, options, leaveOpen: true);
            var first = true;
            while (await csv.ReadAsync(ct))
            {
                if (first)
                {
                    foreach (var (required, _, _) in Columns.Where(c => c.Required))
                        if (!csv.TryGetFieldIndex(required, out _)) errors.Add("header", $"is missing the '{required}' column.");
                    errors.ThrowIfInvalid();
                    first = false;
                }
                if (rows.Count >= MaxRows) throw new ValidationException("body", $"has more than {MaxRows} rows; split the file.");
                var prefix = $"row {csv.LineNumber}: ";
                var request = new SpaceRequest(
                    Label: Field(csv, "label", errors, prefix),
                    Type: Field(csv, "type", errors, prefix)?.ToLowerInvariant(),
                    Level: Field(csv, "level", errors, prefix),
                    ZoneId: null,
                    OutOfService: ParseBool(Field(csv, "outofservice", errors, prefix), errors, prefix + "out_of_service"),
                    Latitude: ParseDouble(Field(csv, "latitude", errors, prefix), errors, prefix + "latitude"),
                    Longitude: ParseDouble(Field(csv, "longitude", errors, prefix), errors, prefix + "longitude"),
                    ExternalId: Field(csv, "externalid", errors, prefix));
                SpaceStore.Validate(request, errors, prefix);
                var zone = Field(csv, "zone", errors, prefix);
                errors.MaxLength(zone, prefix + "zone", 40);
                if (request.Label is { } label && !labels.Add(label.Trim())) errors.Add(prefix + "label", $"'{label}' appears more than once in the file.");
                rows.Add(new CsvRow((int)csv.LineNumber, request, zone, Field(csv, "sensorserial", errors, prefix), Field(csv, "sensorkind", errors, prefix)?.ToLowerInvariant()));
            }
        }
        catch (CsvFormatException e)
        {
            throw new ValidationException("body", "is not valid CSV: " + e.Message);
        }
        errors.ThrowIfInvalid();
        if (rows.Count == 0) throw new ValidationException("body", "has no data rows; expected a header such as label,type,level,zone and one row per space.");
        return rows;
    }

    /// <summary>The 1-based line of the first byte sequence that is not UTF-8, or null when all of it is.</summary>
    private static int? NotUtf8Line(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        var valid = 0;
        while (System.Text.Rune.DecodeFromUtf8(bytes[valid..], out _, out var used) == System.Buffers.OperationStatus.Done) valid += used;
        return bytes[..valid].Count((byte)'\n') + 1;
    }

    private static string? Field(CsvReader csv, string name, Validation errors, string prefix)
    {
        var value = csv.TryGetFieldIndex(name, out var index) && index < csv.FieldCount && csv.GetStringOrNull(index) is { Length: > 0 } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        if (StoredText.Problem(value) is { } problem) errors.Add(prefix + ColumnName(name), problem);
        return value;
    }

    /// <summary>The column as the file names it, from its normalized name.</summary>
    internal static string ColumnName(string normalized) => normalized switch
    {
        "outofservice" => "out_of_service",
        "externalid" => "external_id",
        "sensorserial" => "sensor_serial",
        "sensorkind" => "sensor_kind",
        _ => normalized,
    };

    private static bool? ParseBool(string? value, Validation errors, string field)
    {
        if (value is null) return null;
        if (value.ToLowerInvariant() is "true" or "yes" or "1" or "y") return true;
        if (value.ToLowerInvariant() is "false" or "no" or "0" or "n") return false;
        errors.Add(field, "must be true or false.");
        return null;
    }

    private static double? ParseDouble(string? value, Validation errors, string field)
    {
        if (value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        errors.Add(field, "must be a number.");
        return null;
    }
}
