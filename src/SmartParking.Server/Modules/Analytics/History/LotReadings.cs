using System.Globalization;

namespace SmartParking.Server.Modules.Analytics.History;

/// <summary>One lot's hour as written to lot_occupancy_hourly: mean and peak share of capacity over the readings in it.</summary>
internal readonly record struct ImportedHour(DateTime Hour, double Occupancy, double Peak, int Capacity, int Samples);

/// <summary>
/// One lot's readings from a file, kept compactly (24 bytes each, in file order) until the whole file is read, then
/// de-duplicated and resampled into UTC hours by <see cref="Resample"/>. Rows with no capacity or a negative count never
/// get here; the counts of everything done to the lot's rows are kept for its report.
/// </summary>
internal sealed class LotReadings(Guid lotId, string name)
{
    /// <summary>Less than a week of hours with data is too little for the forecast's weekly pattern.</summary>
    public const int HoursToForecast = 7 * 24;
    private const int FirstRowsShown = 5;

    private struct Reading
    {
        public long Ticks;
        public int Capacity;
        public int Occupied;
        public int Row;
    }

    private Reading[] _readings = new Reading[16];
    private int _count;
    private bool _inOrder = true;

    public Guid LotId { get; } = lotId;
    public string Name { get; } = name;
    public int Rows { get; set; }
    public int DroppedNegative { get; set; }
    public int DroppedNoCapacity { get; set; }
    public int SkippedLocalHourRows { get; set; }
    public int RepeatedLocalHourRows { get; set; }

    // Known once Resample has run.
    public int Kept { get; private set; }
    public int Clipped { get; private set; }
    public int Duplicates { get; private set; }
    public List<int> FirstClippedRows { get; } = [];
    public List<int> FirstDuplicateRows { get; } = [];
    public DateTime? FirstHour { get; private set; }
    public DateTime? LastHour { get; private set; }
    public int HoursWithData { get; private set; }
    public int Gaps { get; private set; }
    public int GapHours { get; private set; }
    public int LongestGapHours { get; private set; }
    public DateTime? LongestGapFrom { get; private set; }
    public double? MedianIntervalMinutes { get; private set; }
    public int IrregularIntervals { get; private set; }
    public int Intervals { get; private set; }

    public void Add(DateTime atUtc, int capacity, int occupied, int row)
    {
        if (_count == _readings.Length) Array.Resize(ref _readings, _readings.Length * 2);
        if (_count > 0 && atUtc.Ticks < _readings[_count - 1].Ticks) _inOrder = false;
        _readings[_count++] = new Reading { Ticks = atUtc.Ticks, Capacity = capacity, Occupied = occupied, Row = row };
    }

    /// <summary>
    /// The lot's hours, in order, with the counts of the report filled in. Of readings at the same instant the first in
    /// the file is kept; occupied above capacity counts as full. Each hour's occupancy is the mean of its readings'
    /// shares, its peak the largest and its capacity that of its last reading. The readings are released afterwards.
    /// </summary>
    public List<ImportedHour> Resample()
    {
        var readings = _readings.AsSpan(0, _count);
        // Rows only increase in file order, so this puts a lot's readings in time order with the first row of an instant first.
        if (!_inOrder) readings.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Row.CompareTo(b.Row));
        var hours = new List<ImportedHour>();
        var intervals = new List<float>(Math.Max(0, _count - 1));
        long previous = -1, hour = -1;
        double sum = 0, peak = 0;
        int samples = 0, capacity = 0;
        foreach (var r in readings)
        {
            if (r.Ticks == previous)
            {
                Duplicates++;
                if (FirstDuplicateRows.Count < FirstRowsShown) FirstDuplicateRows.Add(r.Row);
                continue;
            }
            if (previous >= 0) intervals.Add((float)TimeSpan.FromTicks(r.Ticks - previous).TotalMinutes);
            previous = r.Ticks;
            Kept++;
            var occupied = r.Occupied;
            if (occupied > r.Capacity)
            {
                Clipped++;
                if (FirstClippedRows.Count < FirstRowsShown) FirstClippedRows.Add(r.Row);
                occupied = r.Capacity;
            }
            var share = (double)occupied / r.Capacity;
            var readingHour = r.Ticks - r.Ticks % TimeSpan.TicksPerHour;
            if (readingHour != hour)
            {
                if (samples > 0) hours.Add(Hour(hour, sum, peak, capacity, samples));
                if (hour >= 0) NoteGap(hour, readingHour);
                (hour, sum, peak, samples) = (readingHour, 0, 0, 0);
            }
            sum += share;
            peak = Math.Max(peak, share);
            capacity = r.Capacity;
            samples++;
        }
        if (samples > 0) hours.Add(Hour(hour, sum, peak, capacity, samples));
        HoursWithData = hours.Count;
        if (hours.Count > 0) (FirstHour, LastHour) = (hours[0].Hour, hours[^1].Hour);
        MeasureIntervals(intervals);
        _readings = [];
        _count = 0;
        return hours;
    }

    private static ImportedHour Hour(long ticks, double sum, double peak, int capacity, int samples) =>
        new(new DateTime(ticks, DateTimeKind.Utc), Math.Min(1, sum / samples), peak, capacity, samples);

    private void NoteGap(long fromHour, long toHour)
    {
        var missing = (int)((toHour - fromHour) / TimeSpan.TicksPerHour) - 1;
        if (missing <= 0) return;
        Gaps++;
        GapHours += missing;
        if (missing <= LongestGapHours) return;
        LongestGapHours = missing;
        LongestGapFrom = new DateTime(fromHour + TimeSpan.TicksPerHour, DateTimeKind.Utc);
    }

    /// <summary>The typical interval between readings, and how many stray from it by more than half.</summary>
    private void MeasureIntervals(List<float> intervals)
    {
        Intervals = intervals.Count;
        if (intervals.Count == 0) return;
        var sorted = intervals.ToArray();
        Array.Sort(sorted);
        var median = sorted[sorted.Length / 2];
        MedianIntervalMinutes = Math.Round(median, 2);
        IrregularIntervals = intervals.Count(i => i < median * 0.5 || i > median * 1.5);
    }

    public LotImportReport ToReport(int hoursWritten)
    {
        var warnings = new List<string>();
        var tooLittle = HoursWithData < HoursToForecast;
        if (tooLittle)
            warnings.Add($"too little history to forecast: {HoursWithData} hours with data; a forecast needs at least 7 days ({HoursToForecast} hours).");
        if (Clipped > 0) warnings.Add($"{Clipped} rows had occupied above capacity and were clipped to capacity.");
        if (DroppedNegative > 0) warnings.Add($"{DroppedNegative} rows had occupied below zero and were dropped.");
        if (DroppedNoCapacity > 0) warnings.Add($"{DroppedNoCapacity} rows had a capacity of zero or less and were dropped.");
        if (Duplicates > 0) warnings.Add($"{Duplicates} rows repeated an earlier row's time and were dropped (the first row in the file is kept).");
        if (Gaps > 0)
            warnings.Add($"{Gaps} gaps, {GapHours} hours without data in all; the longest is {LongestGapHours} hours from {LongestGapFrom:yyyy-MM-dd HH:00} UTC.");
        if (IrregularIntervals > 0)
            warnings.Add($"{IrregularIntervals} of {Intervals} intervals between readings differ from the usual {MedianIntervalMinutes?.ToString("0.##", CultureInfo.InvariantCulture)} minutes by more than half; every hour is the mean of its readings.");
        if (SkippedLocalHourRows > 0)
            warnings.Add($"{SkippedLocalHourRows} rows have a local time the spring clock change skips; each is read as the instant an hour later.");
        if (RepeatedLocalHourRows > 0)
            warnings.Add($"{RepeatedLocalHourRows} rows have a local time the autumn clock change repeats; each is read as the first occurrence until the lot's times go back, then as the second.");
        var skippedLive = HoursWithData - hoursWritten;
        if (skippedLive > 0) warnings.Add($"{skippedLive} hours already hold live data and were left as they are.");
        return new LotImportReport(LotId, Name, Rows, Kept, Clipped, Duplicates, DroppedNegative, DroppedNoCapacity,
            FirstHour is { } first ? new DateTimeOffset(first) : null, LastHour is { } last ? new DateTimeOffset(last) : null,
            HoursWithData, hoursWritten, skippedLive, Gaps, GapHours, LongestGapHours, MedianIntervalMinutes, IrregularIntervals,
            SkippedLocalHourRows, RepeatedLocalHourRows, tooLittle, warnings);
    }
}
