using System.Globalization;
using CsvHelper;

namespace SmartParking.Server.Modules.Analytics.Forecasting;

/// <summary>What cleaning did to one lot's rows.</summary>
public sealed record LotCleaning(string Lot, int Rows, int Kept, int Clipped, int DroppedNegative, int DroppedDuplicate,
    int DroppedNoCapacity, int HoursWithData, int GapHours);

/// <summary>The hourly series read from a CSV (UTC hours, share of capacity) and what cleaning did to each lot.</summary>
public sealed record OccupancyCsvData(string Shape, TimeZoneInfo TimeZone, IReadOnlyList<(string Lot, DateTime StartUtc, double[] Share)> Lots,
    IReadOnlyList<LotCleaning> Cleaning);

/// <summary>A CSV that cannot be read: Row is the 1-based line (the header is line 1), Column the column's name.</summary>
public sealed class OccupancyCsvException(string message, int? row = null, string? column = null) : Exception(message)
{
    public int? Row { get; } = row;
    public string? Column { get; } = column;
}

/// <summary>
/// Reads occupancy history in the import shape (lot,capacity,occupied,observed_at) or the CityPulse shape of the
/// Aarhus data (garagecode,totalspaces,vehiclecount,updatetime), chosen by the header. Occupied above capacity is
/// clipped, below zero dropped, a second reading of a lot at the same instant dropped; readings are averaged into UTC
/// hours, and hours without one stay gaps. observed_at without an offset is local time in the given zone; without a
/// zone, Europe/Copenhagen for the CityPulse shape (the Aarhus data has no offsets) and UTC for the import shape.
/// </summary>
public static class OccupancyCsv
{
    private static readonly string[] ImportColumns = ["lot", "capacity", "occupied", "observed_at"];
    private static readonly string[] CityPulseColumns = ["garagecode", "totalspaces", "vehiclecount", "updatetime"];

    /// <summary>Which shape a header is: "import" or "citypulse"; null when it is neither.</summary>
    public static string? ShapeOf(IReadOnlyCollection<string> header)
    {
        var names = header.Select(h => h.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (ImportColumns.All(names.Contains)) return "import";
        if (CityPulseColumns.All(names.Contains)) return "citypulse";
        return null;
    }

    public static OccupancyCsvData Read(TextReader text, TimeZoneInfo? localZone = null)
    {
        var options = new CsvReaderOptions { HasHeader = true, TrimWhitespace = true, SkipEmptyLines = true, TrackLineNumbers = true };
        using var csv = CsvReader.Create(text, options, leaveOpen: true);
        var readings = new Dictionary<string, List<(DateTime At, double Share, int Row)>>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        string shape;
        TimeZoneInfo zone;
        try
        {
            var header = csv.Headers.Select(h => h.Trim()).ToArray();
            if (header.Length == 0)
                throw new OccupancyCsvException($"the file is empty: expected the header {string.Join(',', ImportColumns)}", 1);
            shape = ShapeOf(header) ?? throw MissingColumns(header);
            zone = localZone ?? (shape == "citypulse" ? TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen") : TimeZoneInfo.Utc);
            var columns = shape == "import" ? ImportColumns : CityPulseColumns;
            var index = columns.Select(c => Array.FindIndex(header, h => string.Equals(h, c, StringComparison.OrdinalIgnoreCase))).ToArray();
            while (csv.Read())
            {
                var row = (int)csv.LineNumber;
                var lot = Field(csv, index[0], columns[0], row);
                var capacity = Integer(csv, index[1], columns[1], row);
                var occupied = Integer(csv, index[2], columns[2], row);
                var at = Instant(Field(csv, index[3], columns[3], row), zone, row, columns[3]);
                if (!counts.TryGetValue(lot, out var c))
                {
                    counts[lot] = c = new int[4];
                    readings[lot] = [];
                }
                c[0]++;
                if (capacity <= 0) { c[3]++; continue; }
                if (occupied < 0) { c[2]++; continue; }
                if (occupied > capacity) { c[1]++; occupied = capacity; }
                readings[lot].Add((at, (double)occupied / capacity, row));
            }
        }
        catch (CsvFormatException e)
        {
            throw new OccupancyCsvException("not valid CSV: " + e.Message);
        }

        var lots = new List<(string, DateTime, double[])>();
        var cleaning = new List<LotCleaning>();
        foreach (var (lot, list) in readings.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var c = counts[lot];
            // The first reading of an instant wins; a repeat (same lot, same instant) is a duplicate.
            var unique = list.OrderBy(r => r.At).ThenBy(r => r.Row).DistinctBy(r => r.At).ToList();
            var duplicates = list.Count - unique.Count;
            if (unique.Count == 0)
            {
                cleaning.Add(new LotCleaning(lot, c[0], 0, c[1], c[2], duplicates, c[3], 0, 0));
                continue;
            }
            var start = FloorHour(unique[0].At);
            var hours = (int)(FloorHour(unique[^1].At) - start).TotalHours + 1;
            var sum = new double[hours];
            var n = new int[hours];
            foreach (var r in unique)
            {
                var h = (int)(FloorHour(r.At) - start).TotalHours;
                sum[h] += r.Share;
                n[h]++;
            }
            var share = new double[hours];
            for (var h = 0; h < hours; h++) share[h] = n[h] == 0 ? double.NaN : sum[h] / n[h];
            var withData = n.Count(x => x > 0);
            lots.Add((lot, start, share));
            cleaning.Add(new LotCleaning(lot, c[0], unique.Count, c[1], c[2], duplicates, c[3], withData, hours - withData));
        }
        return new OccupancyCsvData(shape, zone, lots, cleaning);
    }

    private static OccupancyCsvException MissingColumns(string[] header)
    {
        var names = header.Select(h => h.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missingImport = ImportColumns.Where(c => !names.Contains(c)).ToList();
        var missingCityPulse = CityPulseColumns.Where(c => !names.Contains(c)).ToList();
        // Name what is missing from the shape the header comes closest to.
        var (shape, missing) = missingCityPulse.Count < missingImport.Count
            ? ("the CityPulse shape " + string.Join(',', CityPulseColumns), missingCityPulse)
            : ("the import shape " + string.Join(',', ImportColumns), missingImport);
        return new OccupancyCsvException($"missing columns: {string.Join(", ", missing)} (expected {shape})", 1, missing[0]);
    }

    private static string Field(CsvReader csv, int index, string column, int row) =>
        index < csv.FieldCount && csv.GetStringOrNull(index)?.Trim() is { Length: > 0 } value
            ? value
            : throw new OccupancyCsvException($"row {row}: {column} is empty", row, column);

    private static int Integer(CsvReader csv, int index, string column, int row)
    {
        var text = Field(csv, index, column, row);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new OccupancyCsvException($"row {row}: {column} '{text}' is not a whole number", row, column);
    }

    /// <summary>An instant in UTC: ISO 8601 with Z or an offset as given, without one as local time in the zone.</summary>
    internal static DateTime Instant(string text, TimeZoneInfo localZone, int row, string column)
    {
        if (!DateTime.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
            throw new OccupancyCsvException($"row {row}: {column} '{text}' is not an ISO 8601 date and time", row, column);
        if (parsed.Kind != DateTimeKind.Unspecified) return parsed.ToUniversalTime();
        // A local time skipped by a spring daylight-saving change is read as the instant an hour later.
        if (localZone.IsInvalidTime(parsed)) parsed = parsed.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(parsed, localZone);
    }

    private static DateTime FloorHour(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc);
}
