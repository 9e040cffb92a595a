using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Hosting;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Platform.Events;

/// <summary>
/// Delivers the event log to subscribers. Every node sequences (one at a time) and feeds its EveryNode subscribers
/// from its own in-memory position; the node holding the dispatch lock also feeds the Durable subscribers from their
/// checkpoints, so each durable event is handled once per deployment at least, in order per aggregate. A failed event
/// holds back the later events of its aggregate only, is retried with backoff, and after MaxAttempts (or a
/// <see cref="PermanentEventFailure"/>) waits in the dead-letter list for an operator. Only worker nodes (role all or
/// worker) take the dispatch lock: the others feed their EveryNode subscribers and leave durable work to the workers.
/// </summary>
public sealed class EventDispatcher : BackgroundService
{
    private const long DispatchLock = 0x4449_5350_4154; // "DISPAT"
    private const long LockCheckMilliseconds = 1000;
    // Real elapsed time (not the injected clock, which tests stop): when the lock's connection was last known alive.
    private long _lockCheckedAt;

    private readonly NpgsqlDataSource _db;
    private readonly EventTypes _types;
    private readonly FieldProtector _protector;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly EventOptions _options;
    private readonly ILogger<EventDispatcher> _logger;
    private readonly BoundSubscriber[] _durable;
    private readonly BoundSubscriber[] _everyNode;
    private readonly string[] _unreadTypes;
    private readonly Dictionary<string, long> _nodePositions = [];
    private readonly WakeSignal _wake = new();
    private readonly SemaphoreSlim _round = new(1, 1);
    private NpgsqlConnection? _lockConnection;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    private static readonly Meter Meter = new("SmartParking.Events");
    private static readonly Counter<long> Delivered = Meter.CreateCounter<long>("events_delivered_total", description: "Events handled by subscribers");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("events_failed_total", description: "Event handler failures (each attempt)");
    private static readonly Histogram<double> Lag = Meter.CreateHistogram<double>("event_dispatch_lag_seconds", "s", "From the event's recording to its handler",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    public EventDispatcher(NpgsqlDataSource db, EventTypes types, IEnumerable<EventSubscription> subscriptions, IServiceScopeFactory scopes,
        PostgresNotifications notifications, TimeProvider time, IOptions<EventOptions> options, NodeRole role, FieldProtector protector,
        ILogger<EventDispatcher> logger)
    {
        _db = db;
        _types = types;
        _protector = protector;
        _scopes = scopes;
        _time = time;
        _options = options.Value;
        _logger = logger;
        var bound = subscriptions.Select(s => new BoundSubscriber(s, types)).ToList();
        var duplicates = bound.GroupBy(b => b.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) throw new InvalidOperationException("Event subscriber names must be unique: " + string.Join(", ", duplicates));
        _durable = role.Runs(NodeParts.Worker) ? [.. bound.Where(b => b.Subscription.Delivery == EventDelivery.Durable)] : [];
        _unreadTypes = [.. types.All.Select(types.NameOf).Except(bound.SelectMany(b => b.TypeNames)).Order(StringComparer.Ordinal)];
        _everyNode = [.. bound.Where(b => b.Subscription.Delivery == EventDelivery.EveryNode)];
        notifications.Subscribe(EventOutbox.WakeChannel, _ => Wake());
        notifications.OnResync(Wake);
    }

    public IReadOnlyCollection<string> DurableSubscribers => [.. _durable.Select(d => d.Name)];

    /// <summary>
    /// Fixes where every subscriber starts before any module loads its state or takes requests: EveryNode ones at the
    /// log's end now, durable ones at their checkpoint (created at the end for a new subscriber).
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await EventLog.SequenceAsync(connection, int.MaxValue, cancellationToken);
        var head = await EventLog.HeadAsync(connection, cancellationToken);
        foreach (var s in _everyNode) _nodePositions[s.Name] = head;
        foreach (var s in _durable) await EventLog.CheckpointAsync(connection, s.Name, _time.GetUtcNow(), cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public void Wake() => _wake.Wake();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await RoundAsync(stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong (the database away, a bug), the dispatcher must not take the host down with it: nothing
                // is lost (the log and checkpoints are in the database), so it tries again, more slowly.
                failures++;
                wait = Backoff(failures, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));
                _logger.LogWarning("Event dispatch round failed: {Error}; retrying in {Delay} ms", e.Message, (int)wait.TotalMilliseconds);
                await DropLockAsync();
            }
            try { await _wake.WaitAsync(wait, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
        await DropLockAsync();
    }

    /// <summary>
    /// Runs sequencing and every subscriber until nothing is left that is due now, and saves every checkpoint that
    /// moved (tests call it to skip timers).
    /// </summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        for (var i = 0; i < 1000; i++)
            if (!await RoundCoreAsync(ct)) break;
        if (_lockConnection is null) return;
        await _round.WaitAsync(ct);
        try
        {
            await using var connection = await _db.OpenConnectionAsync(ct);
            await SaveDurableAsync(connection, ct, all: true);
        }
        finally { _round.Release(); }
    }

    /// <summary>
    /// Deletes delivered events past their retention (see <see cref="EventLog.PruneAsync"/>); the node dispatching does
    /// it once an hour.
    /// </summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        await using var connection = await _db.OpenConnectionAsync(ct);
        var pruned = await EventLog.PruneAsync(connection, now.AddDays(-_options.RetentionDays), _unreadTypes, now.AddHours(-_options.UnreadRetentionHours), ct);
        if (pruned > 0) _logger.LogInformation("Deleted {Count} delivered events older than {Days} days, or {Hours} hours for types no subscriber takes",
            pruned, _options.RetentionDays, _options.UnreadRetentionHours);
        _lastPrune = now;
        return pruned;
    }

    private async Task<TimeSpan> RoundAsync(CancellationToken ct)
    {
        // Keep going while rounds leave work behind, so a burst is drained without waiting for wake-ups. A round that
        // caught up waits: under steady ingest there is always something new, and going round again at once would
        // make a round (a handful of queries) per ingest batch. A wake-up that came meanwhile ends the wait at once.
        while (await RoundCoreAsync(ct) && _backlog) { }
        var wait = TimeSpan.FromMilliseconds(_options.PollMilliseconds);
        if (_lockConnection is not null)
        {
            var now = _time.GetUtcNow();
            if (now - _lastPrune > TimeSpan.FromHours(1)) await PruneAsync(ct);
            if (_nextRetryAt is { } next)
                wait = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(20).Ticks, Math.Min(wait.Ticks, (next - now).Ticks)));
        }
        return wait;
    }

    /// <summary>
    /// One pass; true when it did something (so another pass may find more). The log is read once per group of
    /// subscribers that stand at the same position (only the types one of them takes), each payload parsed once, and the durable checkpoints and retries are read
    /// and written in one statement each: a round costs a handful of queries however many subscribers there are, since
    /// busy writers (ingest) wake it many times a second.
    /// </summary>
    private async Task<bool> RoundCoreAsync(CancellationToken ct)
    {
        await _round.WaitAsync(ct);
        try
        {
            await using var connection = await _db.OpenConnectionAsync(ct);
            var (head, pending) = await EventLog.PeekAsync(connection, ct);
            var busy = false;
            _backlog = false;
            var sequenced = pending ? await EventLog.SequenceAsync(connection, _options.BatchSize * 4, ct) : 0;
            if (sequenced > 0)
            {
                busy = true;
                _backlog = sequenced >= _options.BatchSize * 4;
                head = await EventLog.HeadAsync(connection, ct);
            }
            var durable = _durable.Length > 0 && await HoldDispatchLockAsync(ct) ? await DurablePositionsAsync(connection, ct) : null;
            var positions = _everyNode.Select(s => (Subscriber: s, Position: _nodePositions[s.Name]))
                .Concat(durable is null ? [] : _durable.Select(s => (Subscriber: s, Position: durable[s.Name]))).ToList();
            // Subscribers at one position share a read; one that lags (a slow handler cut short by its time slice) reads on
            // its own, so it never holds the others back.
            var parsed = new Dictionary<Guid, ParsedEvent>();
            ParsedEvent Parse(StoredEvent e) => parsed.TryGetValue(e.Id, out var p) ? p : parsed[e.Id] = ParsedEvent.From(_types, _protector, e);
            foreach (var group in positions.Where(p => p.Position < head).GroupBy(p => p.Position))
            {
                var wanted = group.SelectMany(p => p.Subscriber.TypeNames).Distinct().ToArray();
                var events = await EventLog.ReadAsync(connection, group.Key, head, wanted, _options.BatchSize, ct);
                var upTo = events.Count < _options.BatchSize ? head : events[^1].Position;
                foreach (var (subscriber, position) in group)
                {
                    var mine = events.Where(e => subscriber.Takes(e.Type)).Select(Parse).ToList();
                    if (subscriber.Subscription.Delivery == EventDelivery.EveryNode)
                        _backlog |= (_nodePositions[subscriber.Name] = await FeedNodeAsync(subscriber, mine, upTo, ct)) < head;
                    else
                    {
                        await FeedDurableAsync(connection, subscriber, mine, upTo, ct);
                        _backlog |= _durableState[subscriber.Name].Position < head;
                    }
                }
                busy |= events.Count > 0;
            }
            if (durable is not null)
            {
                busy |= await SaveDurableAsync(connection, ct);
                foreach (var s in _durable)
                    if (_durableState[s.Name].NextRetryAt is { } due && due <= _time.GetUtcNow())
                        _backlog |= await RetryAsync(connection, s, ct);
            }
            return busy || _backlog;
        }
        finally { _round.Release(); }
    }

    /// <summary>An event read from the log with its payload parsed (or why it could not be), shared by the subscribers of a round.</summary>
    private sealed record ParsedEvent(StoredEvent Stored, IDomainEvent? Event, string? Unreadable)
    {
        public static ParsedEvent From(EventTypes types, FieldProtector protector, StoredEvent stored)
        {
            try { return new ParsedEvent(stored, types.Read(stored.Type, EventPayloads.Text(protector, stored.Payload, stored.PayloadEncrypted)), null); }
            catch (System.Text.Json.JsonException e) { return new ParsedEvent(stored, null, "unreadable payload: " + e.Message); }
            catch (FieldProtectionException e) { return new ParsedEvent(stored, null, "sealed payload does not open: " + e.Message); }
        }
    }

    /// <summary>
    /// A durable subscriber's position this round: its checkpoint, or further on where this node has read past events it
    /// does not take without saving that yet. A checkpoint moved by anyone else (an operator, a test) is taken as it is.
    /// </summary>
    private async Task<Dictionary<string, long>> DurablePositionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var stored = await EventLog.DurableStateAsync(connection, [.. _durable.Select(s => s.Name)], ct);
        _nextRetryAt = null;
        foreach (var s in _durable)
        {
            var (checkpoint, nextRetry) = stored.GetValueOrDefault(s.Name);
            var state = _durableState.GetValueOrDefault(s.Name);
            var position = state is not null && state.Saved == checkpoint ? Math.Max(state.Position, checkpoint) : checkpoint;
            _durableState[s.Name] = new DurableState(position, checkpoint, state?.SavedAt ?? 0, nextRetry, false);
            if (nextRetry is { } n && (_nextRetryAt is null || n < _nextRetryAt)) _nextRetryAt = n;
        }
        return _durableState.ToDictionary(kv => kv.Key, kv => kv.Value.Position);
    }

    private sealed record DurableState(long Position, long Saved, long SavedAt, DateTimeOffset? NextRetryAt, bool MustSave);

    private readonly Dictionary<string, DurableState> _durableState = [];
    // Whether the last round left events it could have handled (a full read, a time slice used up, retries due).
    private bool _backlog;
    private readonly List<HeldEvent> _held = [];
    private DateTimeOffset? _nextRetryAt;

    /// <summary>
    /// Writes the checkpoints that moved, with the events held back: at once for a subscriber that handled or held
    /// something, at most once a second for one that only read past events it does not take (ingest's status events).
    /// </summary>
    private async Task<bool> SaveDurableAsync(NpgsqlConnection connection, CancellationToken ct, bool all = false)
    {
        var now = Environment.TickCount64;
        var moves = _durableState.Where(kv => kv.Value.Position > kv.Value.Saved && (all || kv.Value.MustSave || now - kv.Value.SavedAt >= 1000))
            .Select(kv => (kv.Key, kv.Value.Position)).ToList();
        if (moves.Count == 0 && _held.Count == 0) return false;
        await EventLog.AdvanceAsync(connection, moves, _held, _time.GetUtcNow(), ct);
        var held = _held.Count > 0;
        _held.Clear();
        foreach (var (name, position) in moves) _durableState[name] = _durableState[name] with { Saved = position, SavedAt = now, MustSave = false };
        return held;
    }

    /// <summary>Hands the events to a node subscriber until done or its time slice is up; returns the position it reached.</summary>
    private async Task<long> FeedNodeAsync(BoundSubscriber subscriber, List<ParsedEvent> events, long upTo, CancellationToken ct)
    {
        if (events.Count == 0) return upTo;
        var started = Stopwatch.GetTimestamp();
        await using var scope = _scopes.CreateAsyncScope();
        var instance = scope.ServiceProvider.GetRequiredService(subscriber.Subscription.SubscriberType);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0 && SliceUsed(started)) return events[i - 1].Stored.Position;
            var parsed = events[i];
            // Node state is rebuilt on restart, so a failure here is retried a little, then logged and passed.
            for (var attempt = 1; ; attempt++)
            {
                var (ok, error) = await TryHandleAsync(subscriber, instance, parsed, attempt, ct);
                if (ok) break;
                if (attempt >= 3)
                {
                    _logger.LogError("{Subscriber} failed on {Type} {EventId} three times on this node and passed it: {Error}",
                        subscriber.Name, parsed.Stored.Type, parsed.Stored.Id, error);
                    break;
                }
            }
        }
        return upTo;
    }

    /// <summary>A subscriber's turn in a round is this long at most, so a slow one delays the others by a slice, not a batch.</summary>
    private bool SliceUsed(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds >= _options.SliceMilliseconds;

    private async Task FeedDurableAsync(NpgsqlConnection connection, BoundSubscriber subscriber, List<ParsedEvent> events, long upTo, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var position = upTo;
        if (events.Count > 0)
        {
            var started = Stopwatch.GetTimestamp();
            var blocked = await EventLog.BlockedAggregatesAsync(connection, subscriber.Name, ct);
            await using var scope = _scopes.CreateAsyncScope();
            var instance = scope.ServiceProvider.GetRequiredService(subscriber.Subscription.SubscriberType);
            for (var i = 0; i < events.Count; i++)
            {
                if (i > 0 && SliceUsed(started))
                {
                    position = events[i - 1].Stored.Position;
                    break;
                }
                var stored = events[i].Stored;
                if (blocked.Contains(stored.AggregateId))
                {
                    _held.Add(new HeldEvent(subscriber.Name, stored, 0, now, null, false));
                    continue;
                }
                var (ok, error) = await TryHandleAsync(subscriber, instance, events[i], 1, ct);
                if (ok) continue;
                var dead = error!.Permanent || _options.MaxAttempts <= 1;
                _held.Add(new HeldEvent(subscriber.Name, stored, 1, now + RetryDelay(1), error.Message, dead));
                if (!dead) blocked.Add(stored.AggregateId);
            }
        }
        _durableState[subscriber.Name] = _durableState[subscriber.Name] with { Position = position, MustSave = events.Count > 0 };
    }

    private async Task<bool> RetryAsync(NpgsqlConnection connection, BoundSubscriber subscriber, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var due = await EventLog.DueRetriesAsync(connection, subscriber.Name, now, _options.BatchSize, ct);
        if (due.Count == 0) return false;
        var stored = (await EventLog.ReadByIdsAsync(connection, [.. due.Select(d => d.EventId)], ct)).ToDictionary(e => e.Id);
        await using var scope = _scopes.CreateAsyncScope();
        var instance = scope.ServiceProvider.GetRequiredService(subscriber.Subscription.SubscriberType);
        foreach (var retry in due)
        {
            var attempt = retry.Attempts + 1;
            var (ok, error) = await TryHandleAsync(subscriber, instance, ParsedEvent.From(_types, _protector, stored[retry.EventId]), attempt, ct);
            if (ok)
            {
                await EventLog.DeliveredAsync(connection, subscriber.Name, retry.EventId, ct);
                continue;
            }
            var dead = error!.Permanent || attempt >= _options.MaxAttempts;
            await EventLog.FailedAgainAsync(connection, subscriber.Name, retry.EventId, attempt, now + RetryDelay(attempt), error.Message, dead, now, ct);
            if (dead)
                _logger.LogError("{Subscriber} gave up on {Type} {EventId} after {Attempts} attempts; it is in the dead-letter list: {Error}",
                    subscriber.Name, stored[retry.EventId].Type, retry.EventId, attempt, error.Message);
        }
        return true;
    }

    private sealed record HandlerError(string Message, bool Permanent);

    private async Task<(bool Ok, HandlerError? Error)> TryHandleAsync(BoundSubscriber subscriber, object instance, ParsedEvent parsed, int attempt, CancellationToken ct)
    {
        var stored = parsed.Stored;
        if (parsed.Unreadable is { } unreadable) return (false, new HandlerError(unreadable, true));
        if (parsed.Event is not { } domainEvent) return (true, null);
        var envelope = new EventEnvelope(stored.Id, stored.Position, stored.Type, stored.AggregateId, stored.TenantId, stored.OccurredAt, domainEvent, attempt);
        try
        {
            await subscriber.HandleAsync(instance, envelope, ct);
            Delivered.Add(1, new KeyValuePair<string, object?>("subscriber", subscriber.Name));
            Lag.Record(Math.Max(0, (_time.GetUtcNow() - stored.OccurredAt).TotalSeconds), new KeyValuePair<string, object?>("subscriber", subscriber.Name));
            return (true, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            Failed.Add(1, new KeyValuePair<string, object?>("subscriber", subscriber.Name));
            _logger.LogWarning("{Subscriber} failed on {Type} {EventId} (attempt {Attempt}): {Error}", subscriber.Name, stored.Type, stored.Id, attempt, e.Message);
            return (false, new HandlerError($"{e.GetType().Name}: {e.Message}", e is PermanentEventFailure));
        }
    }

    private TimeSpan RetryDelay(int attempt) =>
        Backoff(attempt, TimeSpan.FromSeconds(_options.FirstRetrySeconds), TimeSpan.FromSeconds(_options.MaxRetrySeconds));

    /// <summary>Doubling from the first delay, capped, with up to 20 % jitter so many failures do not retry in step.</summary>
    private static TimeSpan Backoff(int attempt, TimeSpan first, TimeSpan max)
    {
        var delay = Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20)));
        return TimeSpan.FromMilliseconds(delay * (1 + Random.Shared.NextDouble() * 0.2));
    }

    /// <summary>
    /// The durable subscribers run on one node: the one holding a session advisory lock on a connection kept open for
    /// it. If that node dies its connection closes, the lock is freed, and another node takes over from the checkpoints.
    /// </summary>
    private async Task<bool> HoldDispatchLockAsync(CancellationToken ct)
    {
        if (_lockConnection is { State: System.Data.ConnectionState.Open })
        {
            // A connection the server dropped (a restart, a failover) still looks open until used, and its lock is gone.
            if (Environment.TickCount64 - _lockCheckedAt < LockCheckMilliseconds) return true;
            try
            {
                await using var ping = new NpgsqlCommand("select 1", _lockConnection);
                await ping.ExecuteScalarAsync(ct);
                _lockCheckedAt = Environment.TickCount64;
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or System.IO.IOException or InvalidOperationException)
            {
                _logger.LogWarning("Lost the dispatch lock's connection ({Error}); taking the lock again", e.Message);
            }
        }
        await DropLockAsync();
        var connection = await _db.OpenConnectionAsync(ct);
        await using var take = new NpgsqlCommand($"select pg_try_advisory_lock({DispatchLock})", connection);
        if ((bool)(await take.ExecuteScalarAsync(ct))!)
        {
            _lockConnection = connection;
            _lockCheckedAt = Environment.TickCount64;
            _logger.LogInformation("This node dispatches the durable event subscribers");
            return true;
        }
        await connection.DisposeAsync();
        return false;
    }

    private async Task DropLockAsync()
    {
        // What this node read but did not save is read again by whichever node takes the lock: nothing to keep.
        _durableState.Clear();
        _held.Clear();
        _nextRetryAt = null;
        if (_lockConnection is null) return;
        var connection = _lockConnection;
        _lockConnection = null;
        try
        {
            // Unlocked before the connection goes back to the pool, where it would keep the lock until its next use.
            await using (var release = new NpgsqlCommand("select pg_advisory_unlock_all()", connection))
                await release.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A broken connection holds no lock any more: the server ended its session.
            _logger.LogDebug("Releasing the dispatch lock failed ({Error}); its session is gone", e.Message);
        }
        try { await connection.DisposeAsync(); }
        catch (Exception e) when (e is not OutOfMemoryException) { _logger.LogDebug("Closing the dispatch lock's connection failed: {Error}", e.Message); }
    }
}
