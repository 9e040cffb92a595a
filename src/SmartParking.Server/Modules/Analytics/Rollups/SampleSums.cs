using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics.Rollups;

/// <summary>Minutes of samples of one bucket added up: what one write adds to its hourly or daily rollup row.</summary>
public sealed record SampleSum(
    Guid TenantId, Guid LotId, string Scope, string ScopeKey, DateTimeOffset Hour, DateTimeOffset Day,
    double OccupancySum, int OccupancySamples, double? Peak, double UptimeSum, int UptimeSamples, int Capacity,
    DateTimeOffset FirstMinute, DateTimeOffset LastMinute);

/// <summary>
/// Minute samples added up in memory per bucket (lot, scope, key, hour and lot-local day) until they are written: the
/// cost of a write is a row per bucket however many minutes it holds.
/// </summary>
public sealed class SampleSums
{
    private readonly Dictionary<(Guid LotId, string Scope, string ScopeKey, DateTimeOffset Hour, DateTimeOffset Day), SampleSum> _sums = [];

    /// <summary>The first minute held, or null when nothing is.</summary>
    public DateTimeOffset? FirstMinute { get; private set; }

    public int Count => _sums.Count;

    public void Add(DateTimeOffset minute, DateTimeOffset day, LiveSample sample)
    {
        var key = (sample.LotId, sample.Scope, sample.ScopeKey, minute.ToWholeHour(), day);
        _sums[key] = _sums.TryGetValue(key, out var sum)
            ? sum with
            {
                OccupancySum = sum.OccupancySum + (sample.Occupancy ?? 0),
                OccupancySamples = sum.OccupancySamples + (sample.Occupancy is null ? 0 : 1),
                Peak = Max(sum.Peak, sample.Occupancy),
                UptimeSum = sum.UptimeSum + (sample.Uptime ?? 0),
                UptimeSamples = sum.UptimeSamples + (sample.Uptime is null ? 0 : 1),
                Capacity = sample.Capacity,
                LastMinute = minute,
            }
            : new SampleSum(sample.TenantId, sample.LotId, sample.Scope, sample.ScopeKey, key.Item4, day,
                sample.Occupancy ?? 0, sample.Occupancy is null ? 0 : 1, sample.Occupancy, sample.Uptime ?? 0, sample.Uptime is null ? 0 : 1,
                sample.Capacity, minute, minute);
        if (FirstMinute is null || minute < FirstMinute) FirstMinute = minute;
    }

    /// <summary>Everything held, which is then forgotten.</summary>
    public IReadOnlyList<SampleSum> Take()
    {
        var all = _sums.Values.ToList();
        _sums.Clear();
        FirstMinute = null;
        return all;
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
