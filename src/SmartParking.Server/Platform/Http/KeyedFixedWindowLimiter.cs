using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace SmartParking.Server.Platform.Http;

/// <summary>
/// A fixed window of permits per key (a client, a provider webhook), taken without a lock. ASP.NET's partitioned limiter
/// locks its partition table on every request and each partition's limiter on every permit; with every request passing
/// through it, those locks were a queue of their own at a few thousand requests/s on two cores.
/// <para>
/// Each key's count and window number share one long, moved on by compare-and-swap. A key's windows are offset from
/// other keys' by its hash, so clients do not all start afresh at the same instant. Keys silent for a whole window are
/// dropped each window; a request racing that removal is counted on the dropped entry, so a client may at that moment
/// get one permit more than the limit.
/// </para>
/// </summary>
public sealed class KeyedFixedWindowLimiter : PartitionedRateLimiter<HttpContext>
{
    private readonly Func<HttpContext, Partition> _partitionOf;
    private readonly long _windowTicks;
    private readonly TimeProvider _time;
    private readonly long _epoch;
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly ITimer _sweep;

    /// <summary>Which key a request counts against and how many permits that key has per window; a null key is not limited.</summary>
    public readonly record struct Partition(string? Key, int PermitsPerWindow)
    {
        public static readonly Partition NotLimited = new(null, 0);
    }

    public KeyedFixedWindowLimiter(TimeSpan window, Func<HttpContext, Partition> partitionOf, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        _partitionOf = partitionOf;
        _windowTicks = window.Ticks;
        _time = time ?? TimeProvider.System;
        _epoch = _time.GetTimestamp();
        _sweep = _time.CreateTimer(_ => DropSilent(), null, window, window);
    }

    /// <summary>How many keys are counted now.</summary>
    internal int Keys => _counters.Count;

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        var partition = _partitionOf(resource);
        if (partition.Key is null) return Granted.Lease;
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        var counter = _counters.GetOrAdd(partition.Key, static (key, windowTicks) => new Counter((uint)key.GetHashCode() % windowTicks), _windowTicks);
        var now = Now();
        var window = counter.WindowAt(now, _windowTicks);
        while (true)
        {
            var state = Volatile.Read(ref counter.State);
            var used = state >> 32 == window ? (long)(state & uint.MaxValue) : 0;
            // Asking for none asks whether any are left.
            if (used + Math.Max(permitCount, 1) > partition.PermitsPerWindow)
                return new Refused(TimeSpan.FromTicks(counter.WindowEnd(window, _windowTicks) - now));
            if (permitCount == 0) return Granted.Lease;
            var next = (window << 32) | (ulong)(used + permitCount);
            if (Interlocked.CompareExchange(ref counter.State, next, state) == state) return Granted.Lease;
        }
    }

    /// <summary>No queue: a request beyond the limit is refused at once, as with a queue limit of 0.</summary>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(resource, permitCount));

    private long Now() => _time.GetElapsedTime(_epoch).Ticks;

    /// <summary>Forgets keys silent for a whole window (the sweep timer's work).</summary>
    internal void DropSilent()
    {
        var now = Now();
        foreach (var (key, counter) in _counters)
            if ((Volatile.Read(ref counter.State) >> 32) + 1 < counter.WindowAt(now, _windowTicks))
                _counters.TryRemove(new KeyValuePair<string, Counter>(key, counter));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _sweep.Dispose();
        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await _sweep.DisposeAsync();
        await base.DisposeAsyncCore();
    }

    /// <param name="offset">How far, in ticks, this key's windows are shifted from a window of the clock's own.</param>
    private sealed class Counter(long offset)
    {
        /// <summary>The window number in the high half, the permits taken in it in the low half.</summary>
        public ulong State;

        public ulong WindowAt(long now, long windowTicks) => (ulong)((now + offset) / windowTicks);

        public long WindowEnd(ulong window, long windowTicks) => ((long)window + 1) * windowTicks - offset;
    }

    private sealed class Granted : RateLimitLease
    {
        public static readonly Granted Lease = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    private sealed class Refused(TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
