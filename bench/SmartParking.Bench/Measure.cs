using System.Diagnostics;
using System.Globalization;

namespace SmartParking.Bench;

/// <summary>Latency samples in milliseconds and their percentiles (nearest rank, so every figure is a real sample).</summary>
internal sealed class Latencies
{
    private readonly List<double> _ms = [];

    public int Count => _ms.Count;

    public void Add(double ms) => _ms.Add(ms);

    public void AddRange(Latencies other) => _ms.AddRange(other._ms);

    public static double Ms(long fromTimestamp, long toTimestamp) => Stopwatch.GetElapsedTime(fromTimestamp, toTimestamp).TotalMilliseconds;

    public LatencySummary Summarize()
    {
        if (_ms.Count == 0) return new LatencySummary(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var sorted = _ms.ToArray();
        Array.Sort(sorted);
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new LatencySummary(sorted.Length, At(50), At(90), At(99), sorted[^1], sorted.Average());
    }
}

internal readonly record struct LatencySummary(int Count, double P50, double P90, double P99, double Max, double Mean)
{
    public override string ToString() => Count == 0
        ? "no samples"
        : string.Create(CultureInfo.InvariantCulture, $"p50 {P50:F2} ms  p90 {P90:F2} ms  p99 {P99:F2} ms  max {Max:F2} ms  mean {Mean:F2} ms  (n={Count:N0})");
}

/// <summary>
/// Observation times that never repeat across all load generators. The server drops a reading whose space, time and
/// status it has already seen as a duplicate, so a repeated time would make "acknowledged" and "stored" disagree.
/// </summary>
internal sealed class UniqueClock
{
    private long _last;

    /// <summary>The first of <paramref name="count"/> consecutive tick values, none handed out before; close to now.</summary>
    public long Reserve(int count)
    {
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var start = Math.Max(DateTime.UtcNow.Ticks, last + 1);
            if (Interlocked.CompareExchange(ref _last, start + count - 1, last) == last) return start;
        }
    }

    public DateTimeOffset Next() => new(Reserve(1), TimeSpan.Zero);
}

/// <summary>
/// CPU time used by the server, PostgreSQL (postmaster and its children), this harness and the rest of the machine,
/// from /proc. The load generator competes with the server for the same two cores, so every throughput figure is
/// printed with where the CPU went.
/// </summary>
internal sealed class CpuSampler(int serverPid, int? postmasterPid)
{
    private static readonly double TicksPerSecond = ReadClockTicks();

    public sealed record Snapshot(long Timestamp, long Server, Dictionary<int, long> Postgres, long Harness, long MachineBusy, long MachineTotal);

    public Snapshot Take()
    {
        var postgres = new Dictionary<int, long>();
        if (postmasterPid is { } pm)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
                if (pid != pm && pid <= 1) continue;
                var stat = ReadStat(pid);
                if (stat is { } s && (pid == pm || s.Ppid == pm)) postgres[pid] = s.Ticks;
            }
        }
        var (busy, total) = ReadMachine();
        return new Snapshot(Stopwatch.GetTimestamp(), ReadStat(serverPid)?.Ticks ?? 0, postgres, ReadStat(Environment.ProcessId)?.Ticks ?? 0, busy, total);
    }

    /// <summary>Percent of one core (200% = both cores) for each party between two snapshots.</summary>
    public static CpuUsage Between(Snapshot a, Snapshot b)
    {
        var seconds = Stopwatch.GetElapsedTime(a.Timestamp, b.Timestamp).TotalSeconds;
        if (seconds <= 0) return new CpuUsage(0, 0, 0, 0, 0);
        double Pct(long ticks) => ticks / TicksPerSecond / seconds * 100;
        // A backend that exited in between loses its last ticks; pooled connections make that rare and small.
        var pg = b.Postgres.Sum(kv => kv.Value - a.Postgres.GetValueOrDefault(kv.Key));
        var server = Pct(b.Server - a.Server);
        var postgres = Pct(pg);
        var harness = Pct(b.Harness - a.Harness);
        var machineTotal = b.MachineTotal - a.MachineTotal;
        // /proc/stat counts all cores together, so busy/total is the machine's share; scale it to "percent of one core".
        var machine = machineTotal <= 0 ? 0 : (double)(b.MachineBusy - a.MachineBusy) / machineTotal * 100 * Environment.ProcessorCount;
        return new CpuUsage(server, postgres, harness, Math.Max(0, machine - server - postgres - harness), machine);
    }

    private readonly record struct Stat(int Ppid, long Ticks);

    private static Stat? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name may contain spaces and parentheses; the fields after the last ')' are fixed.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // After the name: state(0) ppid(1) ... utime(11) stime(12).
            return new Stat(int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static (long Busy, long Total) ReadMachine()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already inside user).
        var idle = v[3] + v[4];
        var total = v.Take(8).Sum();
        return (total - idle, total);
    }

    private static double ReadClockTicks()
    {
        var text = Shell.TryRun("getconf", ["CLK_TCK"]);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var hz) && hz > 0 ? hz : 100;
    }
}

internal readonly record struct CpuUsage(double Server, double Postgres, double Harness, double Other, double Machine)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CPU (100% = one core, {Environment.ProcessorCount * 100}% = machine): server {Server:F0}%, PostgreSQL {Postgres:F0}%, harness {Harness:F0}%, other {Other:F0}%");
}

/// <summary>What the numbers were measured on.</summary>
internal static class Machine
{
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : Environment.OSVersion.VersionString;
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var sdk = Shell.TryRun("dotnet", ["--version"]) ?? "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memory ?? "? kB"} RAM, Linux {kernel}, .NET SDK {sdk}, runtime {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
    }
}

internal static class Shell
{
    /// <summary>A command's trimmed standard output, or null when it cannot run or fails; for facts worth printing, never required.</summary>
    public static string? TryRun(string file, string[] args, int timeoutMs = 30_000)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var process = Process.Start(info);
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeoutMs))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
            return process.ExitCode == 0 ? output.Result.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
