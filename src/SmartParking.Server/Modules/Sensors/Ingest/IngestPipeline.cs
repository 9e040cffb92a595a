using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Observability;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// The durable path for readings: a bounded queue drained in batches that drop exact duplicates, are written with binary
/// COPY plus the space states in one transaction (up to Ingest:Writers at once when a backlog builds), and only then tell
/// the submitters they are accepted.
/// When the database is slow or down the queue fills, MQTT stops acknowledging and HTTP answers 503; nothing
/// accepted is lost because nothing is acknowledged before it is committed.
/// </summary>
public sealed partial class IngestPipeline : BackgroundService
{
    private readonly NpgsqlDataSource _db;
    private readonly ReadingPartitions _partitions;
    private readonly IOptions<IngestOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<IngestPipeline> _logger;
    private readonly Channel<Submission> _queue;
    private readonly Dictionary<Guid, RecentReadings> _recent = [];
    private readonly Lock _recentGate = new();
    private long _queuedReadings;

    private static readonly Meter Meter = new(ObservabilityModule.MeterName + ".Ingest");
    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>("smartparking.ingest.readings.accepted", "{reading}", "Readings durably stored");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("smartparking.ingest.readings.duplicate", "{reading}", "Exact duplicates dropped");
    private static readonly Histogram<double> BatchSeconds = Meter.CreateHistogram<double>("smartparking.ingest.batch.duration", "s", "Time to write one batch");
    private static readonly Counter<long> WriteFailures = Meter.CreateCounter<long>("smartparking.ingest.write.failures", "{batch}", "Batch writes that failed and were retried");

    public IngestPipeline(NpgsqlDataSource db, ReadingPartitions partitions, IOptions<IngestOptions> options, TimeProvider time, ILogger<IngestPipeline> logger)
    {
        _db = db;
        _partitions = partitions;
        _options = options;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<Submission>(new BoundedChannelOptions(Math.Max(1000, options.Value.MaxQueuedReadings / 4))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Meter.CreateObservableGauge("smartparking.ingest.queue.readings", () => Interlocked.Read(ref _queuedReadings), "{reading}", "Readings waiting to be written");
    }

    /// <summary>Readings waiting to be written.</summary>
    public long QueuedReadings => Interlocked.Read(ref _queuedReadings);

    /// <summary>Why an observation time is refused, or null when it is acceptable.</summary>
    public string? CheckObservedAt(DateTimeOffset observedAt)
    {
        var now = _time.GetUtcNow();
        if (observedAt > now.AddSeconds(_options.Value.MaxClockSkewSeconds)) return "observedAt is in the future.";
        if (observedAt < now.AddDays(-_options.Value.RetentionDays)) return "observedAt is older than the retention period.";
        return null;
    }

    /// <summary>Queues one reading, waiting for room (back-pressure), and completes when it is durable.</summary>
    public async ValueTask<IngestOutcome> SubmitAsync(Reading reading, CancellationToken ct)
    {
        var submission = new Submission([reading], null);
        Interlocked.Increment(ref _queuedReadings);
        try { await _queue.Writer.WriteAsync(submission, ct); }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            Interlocked.Decrement(ref _queuedReadings);
            return IngestOutcome.Unavailable;
        }
        return (await submission.Done.Task.WaitAsync(ct))[0];
    }

    public async ValueTask SubmitHeartbeatAsync(Heartbeat heartbeat, CancellationToken ct)
    {
        var submission = new Submission([], heartbeat);
        try { await _queue.Writer.WriteAsync(submission, ct); await submission.Done.Task.WaitAsync(ct); }
        catch (ChannelClosedException) { }
    }

    /// <summary>
    /// Queues a batch unless the queue is already too full (the caller answers 503 then). The task completes with one
    /// outcome per reading once the batch is durable.
    /// </summary>
    public bool TrySubmitBatch(IReadOnlyList<Reading> readings, out Task<IngestOutcome[]> done)
    {
        done = Task.FromResult(Array.Empty<IngestOutcome>());
        if (readings.Count == 0) return true;
        if (Interlocked.Add(ref _queuedReadings, readings.Count) > _options.Value.MaxQueuedReadings)
        {
            Interlocked.Add(ref _queuedReadings, -readings.Count);
            return false;
        }
        var submission = new Submission([.. readings], null);
        if (!_queue.Writer.TryWrite(submission))
        {
            Interlocked.Add(ref _queuedReadings, -readings.Count);
            return false;
        }
        done = submission.Done.Task;
        return true;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // No new work; the writer drains what was accepted into the queue before the host stops.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    // A second batch is written alongside the first only when this many readings wait: tiny batches in parallel (a
    // steady trickle of MQTT publishes) cost more per reading than one writer taking whatever has queued meanwhile.
    private const int ParallelBacklog = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var writing = new List<(Task Task, int Readings)>();
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            writing.RemoveAll(w => w.Task.IsCompleted);
            var waiting = QueuedReadings - writing.Sum(w => w.Readings);
            if (writing.Count >= _options.Value.Writers || (writing.Count > 0 && waiting < ParallelBacklog))
            {
                await Task.WhenAny(writing.Select(w => w.Task));
                continue;
            }
            var batch = new List<Submission>();
            var size = 0;
            while (size < _options.Value.MaxBatchSize && _queue.Reader.TryRead(out var submission))
            {
                batch.Add(submission);
                size += submission.Readings.Length + 1;
            }
            if (batch.Count > 0) writing.Add((Task.Run(() => WriteWithRetryAsync(batch, stoppingToken), CancellationToken.None), batch.Sum(b => b.Readings.Length)));
        }
        await Task.WhenAll(writing.Select(w => w.Task));
    }

    private async Task WriteWithRetryAsync(List<Submission> batch, CancellationToken stoppingToken)
    {
        var (rows, outcomes) = Deduplicate(batch);
        var heartbeats = batch.Where(s => s.Heartbeat is not null).Select(s => s.Heartbeat!.Value).ToList();
        var delay = TimeSpan.FromMilliseconds(100);
        var spacesChecked = false;
        for (var attempt = 1; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await WriteAsync(rows, heartbeats, spacesChecked, CancellationToken.None);
                BatchSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                Remember(rows);
                Accepted.Add(rows.Count);
                Duplicates.Add(outcomes.Sum(o => o.Count(x => x == IngestOutcome.Duplicate)));
                Complete(batch, outcomes);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && !spacesChecked)
            {
                // A space was deleted after its reading was resolved: write again, leaving its state out.
                spacesChecked = true;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or System.IO.IOException)
            {
                WriteFailures.Add(1);
                if (attempt == 1 || attempt % 20 == 0)
                    _logger.LogWarning("Writing {Count} readings failed (attempt {Attempt}): {Error}; holding them and retrying", rows.Count, attempt, e.Message);
                // At shutdown with the database away there is nothing more to wait for: submitters are told to retry.
                if (stoppingToken.IsCancellationRequested && attempt >= 3)
                {
                    Complete(batch, batch.Select(s => Enumerable.Repeat(IngestOutcome.Unavailable, s.Readings.Length).ToArray()).ToList());
                    return;
                }
                await Task.Delay(delay, CancellationToken.None);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    private void Complete(List<Submission> batch, List<IngestOutcome[]> outcomes)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            Interlocked.Add(ref _queuedReadings, -batch[i].Readings.Length);
            batch[i].Done.TrySetResult(outcomes[i]);
        }
    }

    private sealed class Submission(Reading[] readings, Heartbeat? heartbeat)
    {
        public Reading[] Readings { get; } = readings;
        public Heartbeat? Heartbeat { get; } = heartbeat;
        public TaskCompletionSource<IngestOutcome[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
