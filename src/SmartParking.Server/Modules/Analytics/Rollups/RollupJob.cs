using System.Diagnostics;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics.Rollups;

/// <summary>
/// Once a minute, samples the live availability model on the node running the scheduled jobs: the occupied share of
/// each lot, zone and space type, and the share of each lot's sensors online. The samples are added up in memory and
/// written every Analytics:Rollups:WriteSamplesEveryMinutes. The cost depends on the number of spaces, not on how often
/// sensors report. Every Analytics:Rollups:CountEveryMinutes it adds the kept status batches to the rollups; once a
/// day it prunes rollups and facts past their retention.
/// </summary>
public sealed class RollupJob(AvailabilityModel availability, LotCatalog lots, SpacePlaces places, ISensorUptime sensors, RollupStore store,
    IOptions<RollupOptions> options, IConfiguration configuration, ILogger<RollupJob> logger) : IScheduledJob
{
    private readonly SampleSums _pending = new();
    private DateTimeOffset _lastMinute;
    private DateTimeOffset _lastCount;
    private DateTimeOffset _lastPrune;

    public string Name => "analytics.rollups";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        var minute = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        if (minute >= _lastCount.AddMinutes(options.Value.CountEveryMinutes))
        {
            // The cost is a write per bucket touched, however many changes it adds, so counting every few minutes
            // writes a busy city's buckets once where every round would write them again and again. The rollups API
            // counts what is pending before it answers.
            var started = Stopwatch.GetTimestamp();
            var batches = await store.CountPendingAsync(ct);
            _lastCount = minute;
            logger.LogDebug("Rollups: counted {Batches} status batches in {Ms} ms", batches, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        if (minute > _lastMinute)
        {
            var started = Stopwatch.GetTimestamp();
            var samples = await SampleMinuteAsync(minute, ct);
            _lastMinute = minute;
            logger.LogDebug("Rollups: sampled {Samples} buckets in {Ms} ms", samples, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (WriteDue(minute))
            {
                started = Stopwatch.GetTimestamp();
                var written = await WriteSamplesAsync(ct);
                logger.LogDebug("Rollups: wrote {Buckets} buckets of samples in {Ms} ms", written, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        if (now - _lastPrune >= TimeSpan.FromDays(1))
        {
            var years = configuration.GetValue(RollupOptions.RetentionYearsKey, RollupOptions.DefaultRetentionYears);
            var deleted = await store.PruneAsync(now.AddYears(-years), now.AddDays(-options.Value.FactRetentionDays), now.AddDays(-1), ct);
            logger.LogInformation("Pruned {Rows} analytics rows past retention", deleted);
            _lastPrune = now;
        }
    }

    /// <summary>
    /// Samples every lot and adds the samples to those held for writing, <see cref="RollupOptions.LotsPerSlice"/> lots at a
    /// time with a pause after each slice (<see cref="Paced"/>): each slice reads its lots' sensors.
    /// </summary>
    /// <returns>How many samples were taken.</returns>
    internal async Task<int> SampleMinuteAsync(DateTimeOffset minute, CancellationToken ct)
    {
        var taken = 0;
        await Paced.ForEachSliceAsync(await LiveLotsAsync(ct), options.Value.LotsPerSlice, async (slice, token) =>
        {
            var samples = await SampleAsync(slice, token);
            // A lot's lot-local day once, not once for each of its zones and space types.
            var days = new Dictionary<Guid, DateTimeOffset>();
            foreach (var lot in slice) days[lot.Id] = await store.DayStartAsync(lot.Id, minute, token);
            foreach (var sample in samples) _pending.Add(minute, days[sample.LotId], sample);
            taken += samples.Count;
        }, ct);
        return taken;
    }

    /// <summary>
    /// Whether the samples held are written after this minute's: at the end of each block of WriteSamplesEveryMinutes
    /// in the hour, so an hour's last samples are written as it ends.
    /// </summary>
    private bool WriteDue(DateTimeOffset minute)
    {
        var every = options.Value.WriteSamplesEveryMinutes;
        var next = minute.AddMinutes(1);
        return next.Minute % every == 0 || next.ToWholeHour() != minute.ToWholeHour()
            || _pending.FirstMinute is { } first && minute - first >= TimeSpan.FromMinutes(every - 1);
    }

    /// <summary>
    /// Writes the samples held, the buckets of <see cref="RollupOptions.LotsPerSlice"/> lots at a time with a pause after
    /// each (<see cref="Paced"/>): a city of 10,000 lots is some 40,000 buckets, which in one go stall requests for
    /// seconds. A slice is a transaction of its own; a crash, or a write that fails, loses the minutes held.
    /// </summary>
    /// <returns>How many buckets were written.</returns>
    internal async Task<int> WriteSamplesAsync(CancellationToken ct)
    {
        var sums = _pending.Take();
        await Paced.ForEachSliceAsync(sums.GroupBy(s => s.LotId), options.Value.LotsPerSlice,
            (lots, token) => store.AddSampleSumsAsync([.. lots.SelectMany(lot => lot)], token), ct);
        return sums.Count;
    }

    /// <summary>What availability shows now, per lot, zone and space type (the same occupied share as pricing and the overview).</summary>
    public async Task<IReadOnlyList<LiveSample>> SampleAsync(CancellationToken ct)
    {
        return await SampleAsync(await LiveLotsAsync(ct), ct);
    }

    /// <summary>Every lot availability shows, with its facts.</summary>
    private async Task<List<LotFacts>> LiveLotsAsync(CancellationToken ct)
    {
        // One read of the lots, not one per lot: the first sample after a start would otherwise cost a query per lot.
        var facts = (await lots.AllAsync(ct)).ToDictionary(l => l.Id);
        return availability.AllLots().Select(lot => facts.GetValueOrDefault(lot.LotId)).OfType<LotFacts>().ToList();
    }

    /// <summary>The lots' samples; their sensors' uptime is read for these lots only, so a slice's read is a slice's size.</summary>
    private async Task<IReadOnlyList<LiveSample>> SampleAsync(IReadOnlyCollection<LotFacts> lotsToSample, CancellationToken ct)
    {
        var uptime = (await sensors.UptimeByLotAsync(lotsToSample.Select(l => (l.TenantId, l.Id)).ToList(), ct)).ToDictionary(u => u.LotId);
        var live = new List<(Guid LotId, IReadOnlyList<SpaceAvailability> Spaces, LotFacts Facts)>();
        foreach (var lot in lotsToSample)
            if (availability.LotWithSpaces(lot.Id) is { } withSpaces) live.Add((lot.Id, withSpaces.Spaces, lot));
        // One read of each tenant's unplaced spaces, not one per lot.
        var zones = new Dictionary<Guid, PlacedSpace>();
        foreach (var tenant in live.GroupBy(l => l.Facts.TenantId))
            foreach (var (id, space) in await places.OfAsync(tenant.Key, tenant.SelectMany(l => l.Spaces.Select(s => s.SpaceId)).ToList(), ct))
                zones[id] = space;
        var samples = new List<LiveSample>();
        foreach (var (lotId, spaces, lotFacts) in live)
        {
            double? up = uptime.TryGetValue(lotId, out var u) && u.Sensors > 0 ? (double)u.Online / u.Sensors : null;
            samples.Add(new LiveSample(lotFacts.TenantId, lotId, "lot", "", Occupancy(spaces), up, spaces.Count));
            foreach (var zone in spaces.GroupBy(s => zones.GetValueOrDefault(s.SpaceId)?.ZoneId).Where(g => g.Key is not null))
                samples.Add(new LiveSample(lotFacts.TenantId, lotId, "zone", zone.Key!.Value.ToString(), Occupancy([.. zone]), null, zone.Count()));
            foreach (var type in spaces.GroupBy(s => s.Type))
                samples.Add(new LiveSample(lotFacts.TenantId, lotId, "type", type.Key, Occupancy([.. type]), null, type.Count()));
        }
        // A lot with no space in service and no sensor has nothing to say this minute.
        return samples.Where(s => s.Occupancy is not null || s.Uptime is not null).ToList();
    }

    private static double? Occupancy(IReadOnlyCollection<SpaceAvailability> spaces)
    {
        var taken = spaces.Count(s => s.Status is "occupied" or "reserved");
        var inService = taken + spaces.Count(s => s.Status == "free");
        return inService == 0 ? null : (double)taken / inService;
    }
}
