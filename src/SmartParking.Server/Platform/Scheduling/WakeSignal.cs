namespace SmartParking.Server.Platform.Scheduling;

/// <summary>
/// Wakes a background loop early: any number of wake-ups before it next waits count as one, since one pass takes in
/// everything that arrived meanwhile; without one, the wait ends after its fallback interval.
/// </summary>
public sealed class WakeSignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { } // already signalled
    }

    /// <summary>True when woken, false when the fallback interval passed.</summary>
    public Task<bool> WaitAsync(TimeSpan fallback, CancellationToken ct) => _wake.WaitAsync(fallback, ct);
}
