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

    /// <summary>A time without an offset in a file read without a time zone: the zone, not the row, is what is missing.</summary>
    public bool NeedsTimeZone { get; init; }
}

/// <summary>Whether a local time fell in a daylight-saving change: the hour the spring change skips or the one autumn repeats.</summary>
public enum ClockChange { None, SkippedHour, RepeatedHour }

/// <summary>
/// One data row: its values, or the Problem that kept it from being read and the Column at fault. Row is the 1-based
/// line (the header is line 1).
/// </summary>
public readonly record struct OccupancyCsvRow(int Row, string Lot, int Capacity, int Occupied, DateTime AtUtc, ClockChange ClockChange, string? Column, string? Problem);

/// <summary>A CSV opened by <see cref="OccupancyCsv.Open"/>: its shape, the columns it has that neither shape uses, and its rows.</summary>
public sealed class OccupancyCsvReader : IDisposable
{
    private readonly CsvReader _csv;
    private readonly string[] _columns;
    private readonly int[] _index;
    // Per lot, the last local time read in an autumn repeated hour and whether the series had gone back to its start.
    private readonly Dictionary<string, (DateTime Local, bool Second)> _repeated = new(StringComparer.Ordinal);

    internal OccupancyCsvReader(CsvReader csv, string shape, string[] columns, int[] index, string[] extraColumns, TimeZoneInfo? zone)
    {
        _csv = csv;
        _columns = columns;
        _index = index;
        Shape = shape;
        ExtraColumns = extraColumns;
        Zone = zone;
    }

    /// <summary>"import" or "citypulse".</summary>
    public string Shape { get; }

    /// <summary>Header columns that are not read, as the file names them.</summary>
    public IReadOnlyList<string> ExtraColumns { get; }

    /// <summary>The zone local times are read in; null when every time must carry an offset.</summary>
    public TimeZoneInfo? Zone { get; }

    /// <summary>
    /// The data rows in file order, once. A row that cannot be read comes with its Problem; a CSV that is not CSV any more
    /// (an unclosed quote) and a local time without a zone to read it in throw <see cref="OccupancyCsvException"/>.
    /// </summary>
    public IEnumerable<OccupancyCsvRow> Rows()
    {
        while (true)
        {
            try
            {
                if (!_csv.Read()) yield break;
            }
            catch (CsvFormatException e)
            {
                throw new OccupancyCsvException("not valid CSV: " + e.Message, (int)_csv.LineNumber);
            }
            yield return Current();
        }
    }

    private OccupancyCsvRow Current()
    {
        var row = (int)_csv.LineNumber;
        try
        {
            var lot = Field(0, row);
            var capacity = Integer(1, row);
            var occupied = Integer(2, row);
            var at = OccupancyCsv.Instant(Field(3, row), Zone, row, _columns[3], local => SecondPass(lot, local), out var change);
            return new OccupancyCsvRow(row, lot, capacity, occupied, at, change, null, null);
        }
        catch (OccupancyCsvException e) when (!e.NeedsTimeZone)
        {
            return new OccupancyCsvRow(row, "", 0, 0, default, ClockChange.None, e.Column, e.Message);
        }
    }

    /// <summary>
    /// Whether a lot's reading at a repeated local time is in the second pass through that hour: the lot's readings have
    /// already been at or past it within the repeated hour, so the clock went back. Assumes a lot's rows are in time order there.
    /// </summary>
    private bool SecondPass(string lot, DateTime local)
    {
        var second = _repeated.TryGetValue(lot, out var last) && (local - last.Local).Duration() < TimeSpan.FromHours(2) && (last.Second || local <= last.Local);
        _repeated[lot] = (local, second);
        return second;
    }

    private string Field(int column, int row) =>
        _index[column] < _csv.FieldCount && _csv.GetStringOrNull(_index[column])?.Trim() is { Length: > 0 } value
            ? value
            : throw new OccupancyCsvException($"row {row}: {_columns[column]} is empty", row, _columns[column]);

    private int Integer(int column, int row)
    {
        var text = Field(column, row);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new OccupancyCsvException($"row {row}: {_columns[column]} '{text}' is not a whole number", row, _columns[column]);
    }

    public void Dispose() => _csv.Dispose();
}

/// <summary>
/// Reads occupancy history in the import shape (lot,capacity,occupied,observed_at) or the CityPulse shape of the
/// Aarhus data (garagecode,totalspaces,vehiclecount,updatetime), chosen by the header. Occupied above capacity is
/// clipped, below zero dropped, a second reading of a lot at the same instant dropped; readings are averaged into UTC
/// hours, and hours without one stay gaps. observed_at without an offset is local time in the given zone; without a
/// zone, Europe/Copenhagen for the CityPulse shape (the Aarhus data has no offsets) and UTC for the import shape.
/// <see cref="Open"/> reads the same files row by row for callers that clean and aggregate on their own (the history import).
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
        var readings = new Dictionary<string, List<(DateTime At, double Share, int Row)>>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        using var rows = Open(text, zone: shape => localZone ?? (shape == "citypulse" ? TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen") : TimeZoneInfo.Utc));
        foreach (var r in rows.Rows())
        {
            if (r.Problem is not null) throw new OccupancyCsvException(r.Problem, r.Row, r.Column);
            if (!counts.TryGetValue(r.Lot, out var c))
            {
                counts[r.Lot] = c = new int[4];
                readings[r.Lot] = [];
            }
            c[0]++;
            if (r.Capacity <= 0) { c[3]++; continue; }
            if (r.Occupied < 0) { c[2]++; continue; }
            var occupied = r.Occupied;
            if (occupied > r.Capacity) { c[1]++; occupied = r.Capacity; }
            readings[r.Lot].Add((r.AtUtc, (double)occupied / r.Capacity, r.Row));
        }
        var shape = rows.Shape;
        var zone = rows.Zone!;

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

    /// <summary>
    /// Opens a CSV for reading row by row (the history import streams files too big to hold as rows). The header is read
    /// here: an empty file or one without the columns of either shape throws. <paramref name="zone"/> gives the zone local
    /// times are read in for the shape found; null there means the file must give every time with an offset.
    /// </summary>
    public static OccupancyCsvReader Open(TextReader text, Func<string, TimeZoneInfo?> zone)
    {
        var options = new CsvReaderOptions { HasHeader = true, TrimWhitespace = true, SkipEmptyLines = true, TrackLineNumbers = true, MaxRecordSize = 64 * 1024 };
        var csv = CsvReader.Create(text, options, leaveOpen: true);
        try
        {
            var header = csv.Headers.Select(h => h.Trim()).ToArray();
            if (header.Length == 0 || header.All(h => h.Length == 0))
                throw new OccupancyCsvException($"the file is empty: expected the header {string.Join(',', ImportColumns)}", 1);
            var shape = ShapeOf(header) ?? throw MissingColumns(header);
            var columns = shape == "import" ? ImportColumns : CityPulseColumns;
            var index = columns.Select(c => Array.FindIndex(header, h => string.Equals(h, c, StringComparison.OrdinalIgnoreCase))).ToArray();
            var extra = header.Where(h => !columns.Contains(h, StringComparer.OrdinalIgnoreCase)).ToArray();
            return new OccupancyCsvReader(csv, shape, columns, index, extra, zone(shape));
        }
        catch (CsvFormatException e)
        {
            csv.Dispose();
            throw new OccupancyCsvException("not valid CSV: " + e.Message);
        }
        catch
        {
            csv.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An instant in UTC: ISO 8601 with Z or an offset as given, without one as local time in the zone. Daylight-saving
    /// changes: a local time the spring change skips is read as the instant an hour later (a clock not yet moved on);
    /// a local time the autumn change repeats is read as its first occurrence unless <paramref name="secondPass"/> says
    /// the series has already passed it.
    /// </summary>
    internal static DateTime Instant(string text, TimeZoneInfo? localZone, int row, string column, Func<DateTime, bool>? secondPass, out ClockChange change)
    {
        change = ClockChange.None;
        if (!DateTime.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
            throw new OccupancyCsvException($"row {row}: {column} '{text}' is not an ISO 8601 date and time", row, column);
        if (parsed.Kind != DateTimeKind.Unspecified) return parsed.ToUniversalTime();
        if (localZone is null)
            throw new OccupancyCsvException($"row {row}: {column} '{text}' has no UTC offset; give the time zone the file's local times are in", row, column) { NeedsTimeZone = true };
        if (localZone.IsInvalidTime(parsed))
        {
            change = ClockChange.SkippedHour;
            parsed = parsed.AddHours(1);
        }
        else if (localZone.IsAmbiguousTime(parsed))
        {
            change = ClockChange.RepeatedHour;
            var offsets = localZone.GetAmbiguousTimeOffsets(parsed);
            var offset = secondPass?.Invoke(parsed) == true ? offsets.Min() : offsets.Max();
            return DateTime.SpecifyKind(parsed - offset, DateTimeKind.Utc);
        }
        return TimeZoneInfo.ConvertTimeToUtc(parsed, localZone);
    }

    private static DateTime FloorHour(DateTime t) => new(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc);
}
