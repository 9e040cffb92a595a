using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Observability;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// The durable path for readings: a bounded queue drained in batches that drop exact duplicates, are written with binary
/// COPY plus the space states in one transaction (up to Ingest:Writers at once when a backlog builds), and only then tell
/// the submitters they are accepted.
/// When the database is slow or down the queue fills, MQTT stops acknowledging and HTTP answers 503; nothing
/// accepted is lost because nothing is acknowledged before it is committed.
/// </summary>
public sealed partial class IngestPipeline : BackgroundService, IIngestBacklog, IReadingIngest
{
    private readonly NpgsqlDataSource _db;
    private readonly ReadingPartitions _partitions;
    private readonly EventOutbox _outbox;
    private readonly IOptions<IngestOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<IngestPipeline> _logger;
    private readonly Channel<Submission> _queue;
    private readonly Dictionary<Guid, RecentReadings> _recent = [];
    private readonly Lock _recentGate = new();
    private long _queuedReadings;
    // Writes under way (their start) and the last time any piece was written: together they tell a stalled writer.
    private readonly Dictionary<BatchWork, long> _inFlight = [];
    private long _lastProgress;

    private static readonly Meter Meter = new(ObservabilityModule.MeterName + ".Ingest");
    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>("smartparking.ingest.readings.accepted", "{reading}", "Readings durably stored");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("smartparking.ingest.readings.duplicate", "{reading}", "Exact duplicates dropped");
    private static readonly Histogram<double> BatchSeconds = Meter.CreateHistogram<double>("smartparking.ingest.batch.duration", "s", "Time to write one batch");
    private static readonly Counter<long> WriteFailures = Meter.CreateCounter<long>("smartparking.ingest.write.failures", "{batch}", "Batch writes that failed and were retried");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("smartparking.ingest.rejected", "{item}", "Readings and heartbeats the database refused for good");

    public IngestPipeline(NpgsqlDataSource db, ReadingPartitions partitions, EventOutbox outbox, IOptions<IngestOptions> options, TimeProvider time, ILogger<IngestPipeline> logger)
    {
        _db = db;
        _partitions = partitions;
        _outbox = outbox;
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

    public IngestBacklog Current() => new(QueuedReadings, _options.Value.MaxQueuedReadings);

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

    /// <summary>Queues a heartbeat and completes once it is durable (or refused for good).</summary>
    public async ValueTask<IngestOutcome> SubmitHeartbeatAsync(Heartbeat heartbeat, CancellationToken ct)
    {
        var submission = new Submission([], heartbeat);
        try { await _queue.Writer.WriteAsync(submission, ct); }
        catch (ChannelClosedException) { return IngestOutcome.Unavailable; }
        return (await submission.Done.Task.WaitAsync(ct))[0];
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
        var work = Deduplicate(batch);
        var started = _time.GetTimestamp();
        lock (_inFlight) _inFlight.Add(work, started);
        try
        {
            await WriteIsolatingAsync(work, work.AllRows(), work.AllHeartbeats(), stoppingToken);
        }
        finally
        {
            lock (_inFlight) _inFlight.Remove(work);
        }
        Duplicates.Add(work.Outcomes.Sum(o => o.Count(x => x == IngestOutcome.Duplicate)));
        Complete(batch, work.Outcomes);
    }

    /// <summary>
    /// Writes a piece of a batch; when the database refuses it for good, halves it until the rows at fault are alone,
    /// rejects those and writes the rest. Each piece that is written is committed once: nothing is written twice.
    /// </summary>
    private async Task WriteIsolatingAsync(BatchWork work, int[] rows, int[] heartbeats, CancellationToken stoppingToken)
    {
        bool written;
        try
        {
            written = await WriteRetryingAsync(work, rows, heartbeats, stoppingToken);
        }
        catch (Exception e) when (!IsTransient(e))
        {
            if (rows.Length + heartbeats.Length > 1)
            {
                var rowHalf = rows.Length / 2;
                var beatHalf = heartbeats.Length / 2;
                // An odd single item goes to the first half so each half is smaller than the piece.
                if (rowHalf + beatHalf == 0) (rowHalf, beatHalf) = rows.Length == 1 ? (1, 0) : (0, 1);
                await WriteIsolatingAsync(work, rows[..rowHalf], heartbeats[..beatHalf], stoppingToken);
                await WriteIsolatingAsync(work, rows[rowHalf..], heartbeats[beatHalf..], stoppingToken);
                return;
            }
            var reason = e is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : e.GetType().Name + ": " + e.Message;
            var (kind, sensor) = rows.Length == 1 ? ("reading", work.Rows[rows[0]].SensorId) : ("heartbeat", (Guid?)work.Heartbeats[heartbeats[0]].Beat.SensorId);
            Rejected.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("reason", e is PostgresException p ? p.SqlState : e.GetType().Name));
            _logger.LogWarning("The database refused a {Kind} of sensor {SensorId} for good ({Reason}); it is rejected and the rest of its batch written", kind, sensor, reason);
            work.Settle(rows, heartbeats, IngestOutcome.Rejected);
            return;
        }
        if (!written)
        {
            work.Settle(rows, heartbeats, IngestOutcome.Unavailable);
            return;
        }
        var stored = rows.Select(i => work.Rows[i]).ToList();
        Remember(stored);
        Accepted.Add(stored.Count);
        lock (_inFlight) _lastProgress = _time.GetTimestamp();
    }

    /// <summary>
    /// Retries transient failures (the database away, overloaded, restarting) until the piece is written; false when the
    /// host stops meanwhile. A permanent failure is thrown to the caller, which isolates the rows at fault.
    /// </summary>
    private async Task<bool> WriteRetryingAsync(BatchWork work, int[] rows, int[] heartbeats, CancellationToken stoppingToken)
    {
        var readings = rows.Select(i => work.Rows[i]).ToList();
        var beats = heartbeats.Select(i => work.Heartbeats[i].Beat).ToList();
        var delay = TimeSpan.FromMilliseconds(100);
        var spacesChecked = false;
        for (var attempt = 1; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await WriteAsync(readings, beats, spacesChecked, CancellationToken.None);
                BatchSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                return true;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && !spacesChecked)
            {
                // A space was deleted after its reading was resolved: write again, leaving its state out.
                spacesChecked = true;
            }
            catch (Exception e) when (IsTransient(e))
            {
                WriteFailures.Add(1);
                if (attempt == 1 || attempt % 20 == 0)
                    _logger.LogWarning("Writing {Count} readings failed (attempt {Attempt}): {Error}; holding them and retrying", readings.Count, attempt, e.Message);
                // At shutdown with the database away there is nothing more to wait for: submitters are told to retry.
                if (stoppingToken.IsCancellationRequested && attempt >= 3) return false;
                await Task.Delay(delay, CancellationToken.None);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    /// <summary>
    /// Worth retrying: the connection or server failed, or the server asked us to come back (resources, shutdown,
    /// conflicts). A refusal of the data itself (bad text, a constraint) fails the same way every time.
    /// </summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState[..2] is "08" or "40" or "53" or "57" or "58" || pg.SqlState is "55P03" or "55006",
        NpgsqlException => true,
        TimeoutException or System.IO.IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>How long the oldest write still going has been at it, or null when the writer is idle or keeping up.</summary>
    public TimeSpan? WriterStuckFor()
    {
        lock (_inFlight)
        {
            if (_inFlight.Count == 0) return null;
            var oldest = _inFlight.Values.Min();
            // A write that has been going since before the last progress is still progressing if others complete.
            return _time.GetElapsedTime(Math.Max(oldest, _lastProgress));
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
