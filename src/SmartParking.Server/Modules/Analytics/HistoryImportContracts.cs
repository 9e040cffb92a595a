namespace SmartParking.Server.Modules.Analytics;

/// <summary>Why rows were dropped ("unreadable", "unknown_lot", "no_capacity", "negative_occupied", "duplicate"), how many, and the first few row numbers.</summary>
public sealed record DroppedRows(string Reason, int Count, IReadOnlyList<int> FirstRows);

/// <summary>A row that could not be read: its line (the header is line 1), the column at fault and why.</summary>
public sealed record UnreadableRow(int Row, string Column, string Message);

/// <summary>A lot the file names that the tenant does not have (by id or name) or that names several lots: its rows were not imported.</summary>
public sealed record UnknownLot(string Lot, int Rows, int FirstRow, string Reason);

/// <summary>
/// One lot's part of an import. Rows = Kept + Duplicates + DroppedNegative + DroppedNoCapacity; Clipped rows are kept.
/// Hours run from FirstHour to LastHour (UTC hour starts); a gap is a run of hours without a reading between them.
/// MedianIntervalMinutes is the typical time between readings; IrregularIntervals counts those under half or over
/// one and a half times it (all readings are resampled to hourly means either way).
/// </summary>
public sealed record LotImportReport(
    Guid LotId, string Name, int Rows, int Kept, int Clipped, int Duplicates, int DroppedNegative, int DroppedNoCapacity,
    DateTimeOffset? FirstHour, DateTimeOffset? LastHour, int HoursWithData, int HoursWritten, int HoursSkippedLive,
    int Gaps, int GapHours, int LongestGapHours, double? MedianIntervalMinutes, int IrregularIntervals,
    int SkippedLocalHourRows, int RepeatedLocalHourRows, bool TooLittleHistory, IReadOnlyList<string> Warnings);

/// <summary>
/// What an occupancy history import read, kept, clipped and dropped, and what it wrote. RowsRead = RowsKept +
/// RowsDropped; Dropped breaks RowsDropped down by reason; Duplicates are among them. HoursSkippedLive are hours the
/// live rollup already holds (live data wins); HoursReplaced are hours earlier imports had written over the same lots'
/// spans, now replaced. Unreadable lists the first rows that could not be read.
/// </summary>
public sealed record HistoryImportReport(
    Guid Id, Guid TenantId, string FileName, DateTimeOffset ImportedAt, string ImportedBy, string Shape, string? TimeZone,
    int RowsRead, int RowsKept, int RowsClipped, int RowsDropped, int Duplicates, IReadOnlyList<DroppedRows> Dropped,
    IReadOnlyList<int> FirstClippedRows, IReadOnlyList<UnreadableRow> Unreadable, int HoursWritten, int HoursSkippedLive, int HoursReplaced,
    IReadOnlyList<string> IgnoredColumns, IReadOnlyList<LotImportReport> Lots, IReadOnlyList<UnknownLot> UnknownLots,
    IReadOnlyList<string> Warnings);

/// <summary>A past import as the dashboard lists it.</summary>
public sealed record HistoryImportSummary(Guid Id, DateTimeOffset ImportedAt, string ImportedBy, string FileName, int RowsRead, int RowsKept, int HoursWritten);
