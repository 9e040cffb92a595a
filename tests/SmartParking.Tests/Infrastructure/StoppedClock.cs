namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// A clock that stands still until the test moves it, for a test server whose answers depend on the time (TOTP steps,
/// sign-in delays): the test decides what time it is, not how long the run happens to take.
/// </summary>
public sealed class StoppedClock(DateTimeOffset at) : TimeProvider
{
    private long _utcTicks = at.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
