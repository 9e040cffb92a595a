using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Availability;

/// <summary>
/// This node's view of which spaces are reserved right now: the live windows loaded from Reservations at start, then
/// kept by following reservation events (on every node). Windows start and end by the clock, so the set is also
/// recomputed at the next boundary; bursts of events are taken together (at most one recount per CoalesceWindow).
/// </summary>
public sealed class ReservedSpaceView(AvailabilityModel availability, IReservedWindows reservations, TimeProvider time,
    ILogger<ReservedSpaceView> logger) : BackgroundService, IEventHandler<ReservationEvent>
{
    private static readonly TimeSpan CoalesceWindow = TimeSpan.FromMilliseconds(50);
    // The longest wait between recounts, whatever the next boundary: a clock that jumps (tests, a corrected host clock) is caught up.
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);
    private readonly Dictionary<Guid, ReservedWindow> _windows = [];
    private readonly WakeSignal _wake = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Loaded => _loaded.Task;

    public Task HandleAsync(ReservationEvent domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        var r = domainEvent.Reservation;
        lock (_windows)
        {
            if (r.Status is Reservations.ReservationStatus.Held or Reservations.ReservationStatus.Confirmed) _windows[r.ReservationId] = new ReservedWindow(r.ReservationId, r.SpaceId, r.Start, r.End);
            else _windows.Remove(r.ReservationId);
        }
        Wake();
        return Task.CompletedTask;
    }

    public void Wake() => _wake.Wake();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await LoadAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = Recount();
            try
            {
                await Task.Delay(CoalesceWindow, time, stoppingToken);
                var wait = next is { } n ? TimeSpan.FromTicks(Math.Clamp((n - time.GetUtcNow()).Ticks, 0, MaxWait.Ticks)) : MaxWait;
                await _wake.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        for (var attempt = 1; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                var live = await reservations.LiveAsync(time.GetUtcNow(), ct);
                lock (_windows)
                    foreach (var w in live) _windows.TryAdd(w.ReservationId, w);
                _loaded.TrySetResult();
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
            {
                logger.LogWarning("Loading reserved spaces failed: {Error}; retrying", e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * attempt)), time, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Tells availability the spaces reserved now; returns when the set next changes by the clock alone.</summary>
    private DateTimeOffset? Recount()
    {
        var now = time.GetUtcNow();
        var reserved = new HashSet<Guid>();
        DateTimeOffset? next = null;
        lock (_windows)
        {
            List<Guid>? over = null;
            foreach (var w in _windows.Values)
            {
                if (w.End <= now) { (over ??= []).Add(w.ReservationId); continue; }
                if (w.Start <= now) reserved.Add(w.SpaceId);
                var boundary = w.Start > now ? w.Start : w.End;
                if (next is null || boundary < next) next = boundary;
            }
            if (over is not null) foreach (var id in over) _windows.Remove(id);
        }
        availability.SetReserved(reserved);
        return next;
    }
}
