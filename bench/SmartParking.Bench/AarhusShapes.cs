using System.Globalization;

namespace SmartParking.Bench;

/// <summary>A garage's typical weekday: mean occupied share per 15-minute slot of the local day (0..1).</summary>
internal sealed record GarageShape(string Code, int Capacity, double[] Slots, int Weekdays, int Samples)
{
    public double Peak => Slots.Max();
}

/// <summary>
/// Reads the Aarhus CityPulse parking series (vehiclecount, updatetime, _id, totalspaces, garagecode, streamtime; about one
/// sample per garage every 30 minutes, May–November 2014) into typical weekday shapes.
/// </summary>
internal static class AarhusShapes
{
    public const int SlotsPerDay = 96;
    public const string DefaultRelativePath = "data/aarhus/aarhus_citypulse_parking.csv";

    // A counter that often reads well above the garage's size is miscounting, and its shape cannot be trusted.
    private const double OverCapacity = 1.1;
    private const double MaxOverCapacityShare = 0.02;
    // A counter that shows only a handful of values over months is stuck (one garage reads 512 of 512 or 0 for weeks).
    private const int MinDistinctCounts = 20;

    /// <summary>The data file in the repository (data/... from the root), whatever the working directory.</summary>
    public static string DefaultPath()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SmartParking.slnx")))
                    return Path.GetFullPath(Path.Combine(dir.FullName, DefaultRelativePath));
        return Path.GetFullPath(DefaultRelativePath);
    }

    public static (List<GarageShape> Used, List<string> Skipped) Load(string path)
    {
        var garages = new Dictionary<string, Accumulator>();
        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.Split(',') ?? throw new InvalidDataException($"{path} is empty.");
        int Column(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new InvalidDataException($"{path} has no column '{name}'.");
        var (countCol, timeCol, spacesCol, codeCol) = (Column("vehiclecount"), Column("updatetime"), Column("totalspaces"), Column("garagecode"));
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',');
            if (f.Length < header.Length
                || !int.TryParse(f[countCol], CultureInfo.InvariantCulture, out var count)
                || !int.TryParse(f[spacesCol], CultureInfo.InvariantCulture, out var spaces)
                || !DateTime.TryParse(f[timeCol], CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)) continue;
            // Weekends have another shape (and no peak pricing); the simulation replays weekdays.
            if (at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) continue;
            if (!garages.TryGetValue(f[codeCol], out var g)) garages[f[codeCol]] = g = new Accumulator();
            g.Add(at, count, spaces);
        }

        var used = new List<GarageShape>();
        var skipped = new List<string>();
        foreach (var (code, g) in garages.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (g.Capacity <= 0) { skipped.Add($"{code}: no capacity"); continue; }
            var overShare = (double)g.OverCapacity / g.Samples;
            if (overShare > MaxOverCapacityShare) { skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{code}: count above 110 % of capacity in {overShare:P0} of samples")); continue; }
            if (g.Counts.Count < MinDistinctCounts) { skipped.Add($"{code}: stuck counter (only {g.Counts.Count} distinct counts)"); continue; }
            var slots = g.Shape();
            used.Add(new GarageShape(code, g.Capacity, slots, g.Days.Count, g.Samples));
        }
        return (used, skipped);
    }

    private sealed class Accumulator
    {
        private readonly double[] _sum = new double[SlotsPerDay];
        private readonly int[] _n = new int[SlotsPerDay];
        public HashSet<DateOnly> Days { get; } = [];
        public HashSet<int> Counts { get; } = [];
        public int Capacity { get; private set; }
        public int Samples { get; private set; }
        public int OverCapacity { get; private set; }

        public void Add(DateTime at, int count, int spaces)
        {
            Samples++;
            Counts.Add(count);
            // The series keeps one capacity per garage; the largest seen stands for it.
            Capacity = Math.Max(Capacity, spaces);
            if (spaces <= 0) return;
            if (count > spaces * AarhusShapes.OverCapacity) { OverCapacity++; return; }
            var slot = (at.Hour * 60 + at.Minute) / 15;
            _sum[slot] += Math.Clamp((double)count / spaces, 0, 1);
            _n[slot]++;
            Days.Add(DateOnly.FromDateTime(at));
        }

        public double[] Shape()
        {
            var shape = new double[SlotsPerDay];
            for (var i = 0; i < SlotsPerDay; i++) shape[i] = _n[i] > 0 ? _sum[i] / _n[i] : double.NaN;
            // Samples every ~30 minutes drift across all slots over months; should one still be empty, take its neighbour.
            for (var pass = 0; pass < 2; pass++)
                for (var i = 0; i < SlotsPerDay; i++)
                    if (double.IsNaN(shape[i])) shape[i] = shape[(i + SlotsPerDay - 1) % SlotsPerDay];
            for (var i = 0; i < SlotsPerDay; i++) if (double.IsNaN(shape[i])) shape[i] = 0;
            return shape;
        }
    }
}
