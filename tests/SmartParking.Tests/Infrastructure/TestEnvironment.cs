namespace SmartParking.Tests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The folder holding SmartParking.slnx, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The FIWARE example payloads, copied into the test project so any clone can run the tests.</summary>
    public static string FiwareExamples => Path.Combine(Root, "tests", "SmartParking.Tests", "Fixtures", "fiware");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SmartParking.slnx")))
                return dir.FullName;
        throw new InvalidOperationException($"No SmartParking.slnx above {AppContext.BaseDirectory}.");
    }
}

public static class Poll
{
    /// <summary>Re-runs <paramref name="probe"/> until <paramref name="done"/> holds or the deadline passes; never a fixed sleep.</summary>
    /// <param name="maxDelay">The longest wait between probes (500 ms unless given): shorter to catch a moment that passes quickly.</param>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, TimeSpan? maxDelay = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var longest = maxDelay ?? TimeSpan.FromMilliseconds(500);
        var delay = TimeSpan.FromMilliseconds(Math.Min(20, longest.TotalMilliseconds));
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Gave up waiting for {what}; last value: {value}");
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(longest.TotalMilliseconds, delay.TotalMilliseconds * 2));
        }
    }
}
