using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Analytics.History;

/// <summary>
/// An uploaded history file read through once: rows parsed by <see cref="OccupancyCsv"/>, matched to the tenant's lots
/// (by id, else by name ignoring case), checked, and collected per lot. Nothing is written here.
/// </summary>
internal sealed class HistoryFile
{
    public const int FirstRowsShown = 5;
    public const int UnreadableShown = 20;
    public const int UnknownShown = 1000;

    private readonly Dictionary<Guid, LotName> _lotsById;
    private readonly Dictionary<string, List<LotName>> _lotsByName;
    // Each distinct lot text of the file, matched once.
    private readonly Dictionary<string, LotReadings?> _matched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Rows, int FirstRow, string Reason)> _unknown = new(StringComparer.Ordinal);

    public string Shape { get; private set; } = "";
    public IReadOnlyList<string> IgnoredColumns { get; private set; } = [];
    public int RowsRead { get; private set; }
    public int UnreadableCount { get; private set; }
    public List<UnreadableRow> Unreadable { get; } = [];
    public int UnknownLotRows { get; private set; }
    public List<int> FirstUnknownLotRows { get; } = [];
    public List<int> FirstNegativeRows { get; } = [];
    public List<int> FirstNoCapacityRows { get; } = [];
    public Dictionary<Guid, LotReadings> Lots { get; } = [];

    private HistoryFile(IReadOnlyList<LotName> lots)
    {
        _lotsById = lots.ToDictionary(l => l.Id);
        _lotsByName = lots.GroupBy(l => l.Name.Trim(), StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<UnknownLot> UnknownLots =>
        _unknown.OrderBy(u => u.Value.FirstRow).Select(u => new UnknownLot(Printable.Text(u.Key, 200), u.Value.Rows, u.Value.FirstRow, u.Value.Reason)).ToList();

    /// <summary>Reads the whole file; throws <see cref="OccupancyCsvException"/> for a file that cannot be imported at all.</summary>
    public static HistoryFile Read(TextReader text, TimeZoneInfo? zone, IReadOnlyList<LotName> lots, CancellationToken ct)
    {
        var file = new HistoryFile(lots);
        using var reader = OccupancyCsv.Open(text, _ => zone);
        file.Shape = reader.Shape;
        file.IgnoredColumns = reader.ExtraColumns.Select(c => Printable.Text(c, 100)).ToList();
        foreach (var row in reader.Rows())
        {
            if (++file.RowsRead % 50_000 == 0) ct.ThrowIfCancellationRequested();
            file.Take(row);
        }
        return file;
    }

    private void Take(OccupancyCsvRow row)
    {
        if (row.Problem is not null)
        {
            if (UnreadableCount++ < UnreadableShown) Unreadable.Add(new UnreadableRow(row.Row, row.Column ?? "", Printable.Text(row.Problem, 300)));
            return;
        }
        if (Match(row.Lot, row.Row) is not { } lot)
        {
            UnknownLotRows++;
            Note(FirstUnknownLotRows, row.Row);
            return;
        }
        lot.Rows++;
        if (row.ClockChange == ClockChange.SkippedHour) lot.SkippedLocalHourRows++;
        else if (row.ClockChange == ClockChange.RepeatedHour) lot.RepeatedLocalHourRows++;
        if (row.Capacity <= 0)
        {
            lot.DroppedNoCapacity++;
            Note(FirstNoCapacityRows, row.Row);
        }
        // A count below zero is a counter fault, not a nearly empty lot: clipping it to zero would invent an empty hour.
        else if (row.Occupied < 0)
        {
            lot.DroppedNegative++;
            Note(FirstNegativeRows, row.Row);
        }
        else lot.Add(row.AtUtc, row.Capacity, row.Occupied, row.Row);
    }

    private LotReadings? Match(string text, int row)
    {
        if (!_matched.TryGetValue(text, out var readings))
        {
            var (lot, reason) = Guid.TryParse(text, out var id)
                ? (_lotsById.GetValueOrDefault(id), "no lot of this tenant has this id")
                : _lotsByName.TryGetValue(text, out var named)
                    ? named.Count == 1 ? (named[0], "") : (null, $"{named.Count} lots have this name: name the lot by its id")
                    : (null, "no lot of this tenant has this name");
            if (lot is not null && !Lots.TryGetValue(lot.Id, out readings)) Lots[lot.Id] = readings = new LotReadings(lot.Id, lot.Name);
            // A file of ever new names would otherwise grow these without end; past the cap its rows are only counted.
            if (readings is not null || _unknown.Count < UnknownShown) _matched[text] = readings;
            if (readings is null && _unknown.Count < UnknownShown) _unknown[text] = (0, row, reason);
        }
        if (readings is null && _unknown.TryGetValue(text, out var unknown)) _unknown[text] = unknown with { Rows = unknown.Rows + 1 };
        return readings;
    }

    private static void Note(List<int> rows, int row)
    {
        if (rows.Count < FirstRowsShown) rows.Add(row);
    }
}
