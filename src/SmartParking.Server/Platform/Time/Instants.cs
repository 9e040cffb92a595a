namespace SmartParking.Server.Platform.Time;

public static class Instants
{
    /// <summary>UTC, cut to the whole second: windows and sessions are kept to the second, so equality checks hold.</summary>
    public static DateTimeOffset ToWholeSecond(this DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
