using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Notifications.Delivery;

/// <summary>
/// Wakes the sender when messages are queued: in process at once, and on other nodes through a NOTIFY, so a message
/// waits for no polling interval whichever node queued it.
/// </summary>
public sealed class SenderSignal
{
    public const string PostgresChannel = "notifications_queued";

    private readonly WakeSignal _wake = new();

    public void Wake() => _wake.Wake();

    /// <summary>True when woken, false when the fallback interval passed.</summary>
    public Task<bool> WaitAsync(TimeSpan fallback, CancellationToken ct) => _wake.WaitAsync(fallback, ct);
}
