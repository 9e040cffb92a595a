using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace SmartParking.Bench;

/// <summary>
/// Where PostgreSQL spent its time during a run (pg_stat_statements) and how its updates went (HOT or not), so a slow
/// figure comes with the statement that made it slow.
/// </summary>
internal static class PgStats
{
    public static async Task ResetAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var reset = new NpgsqlCommand("select pg_stat_statements_reset(); select pg_stat_reset();", connection);
        await reset.ExecuteNonQueryAsync(ct);
    }

    public static async Task PrintAsync(NpgsqlDataSource db, TextWriter output, double seconds, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        output.WriteLine($"   PostgreSQL statements by total time ({seconds:F1} s run):");
        await using (var top = new NpgsqlCommand("""
            select calls, total_exec_time, mean_exec_time, rows, regexp_replace(query, '\s+', ' ', 'g')
            from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
            order by total_exec_time desc limit 8
            """, connection))
        await using (var reader = await top.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var query = reader.GetString(4);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"     {reader.GetDouble(1) / 1000,7:F1} s ({reader.GetDouble(1) / 1000 / seconds * 100,3:F0}% of the run)  {reader.GetInt64(0),9:N0} calls  mean {reader.GetDouble(2),8:F2} ms  {reader.GetInt64(3),11:N0} rows  {query[..Math.Min(110, query.Length)]}"));
            }
        }
        // A non-HOT update writes every index of the table again; the share says how much of that the writer pays.
        await using var tables = new NpgsqlCommand("""
            select relname, n_tup_ins, n_tup_upd, n_tup_hot_upd from pg_stat_user_tables
            where relname in ('sensors', 'space_status', 'reservations', 'chat_conversations', 'analytics_rollups', 'lot_occupancy_hourly')
               or relname like 'sensor_readings%'
            union all
            -- A value too long for the row goes to the table's TOAST table: every update then writes and indexes its chunks again.
            select c.relname || ' (TOAST)', t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd from pg_class c join pg_stat_all_tables t on t.relid = c.reltoastrelid
            where c.relname = 'chat_conversations'
            order by 1
            """, connection);
        await using var rows = await tables.ExecuteReaderAsync(ct);
        var parts = new List<string>();
        while (await rows.ReadAsync(ct))
        {
            var (name, inserted, updated, hot) = (rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetInt64(3));
            if (inserted + updated == 0) continue;
            parts.Add(updated > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{name} {updated:N0} updates ({(double)hot / updated * 100:F0}% HOT)")
                : string.Create(CultureInfo.InvariantCulture, $"{name} {inserted:N0} inserts"));
        }
        output.WriteLine("   tables: " + string.Join("; ", parts));
    }
}

/// <summary>
/// Optional CPU picture of the server with dotnet-trace (thread-time samples), taken during a measured phase.
/// It costs the server some CPU, so it only runs when asked for (--trace).
/// </summary>
internal sealed class Profiler
{
    private readonly string _tool;
    private readonly Task<int> _collect;
    private readonly string _file;

    private Profiler(string tool, string file, Task<int> collect)
    {
        _tool = tool;
        _file = file;
        _collect = collect;
    }

    public static string? FindTool() =>
        Shell.FindOnPath("dotnet-trace") is { } onPath ? onPath
        : File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-trace"))
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-trace")
            : null;

    /// <summary>Starts collecting after <paramref name="delay"/> for <paramref name="seconds"/>; null when dotnet-trace is missing.</summary>
    public static Profiler? Start(BenchContext c, string name, TimeSpan delay, int seconds)
    {
        if (!c.Settings.Trace) return null;
        if (FindTool() is not { } tool)
        {
            c.Out.WriteLine("   --trace: dotnet-trace is not installed (dotnet tool install -g dotnet-trace); no profile taken.");
            return null;
        }
        var file = Path.Combine(c.Env.Directory, name + ".nettrace");
        var collect = Task.Run(async () =>
        {
            await Task.Delay(delay);
            var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "collect", "-p", c.Env.Server.Pid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time",
                         "--duration", TimeSpan.FromSeconds(seconds).ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture), "-o", file })
                info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 60));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); return -1; }
            return process.ExitCode;
        });
        return new Profiler(tool, file, collect);
    }

    // Thread-time samples include every thread parked in a wait; these frames are the parking, not work.
    private static readonly string[] WaitFrames =
    [
        "WaitForSignal", "Monitor.Wait", "WaitHandle.Wait", "WaitOneNoCheck", "ManualResetEventSlim.Wait", "LowLevelLifoSemaphore.Wait",
        "SemaphoreSlim.Wait", "Interop+Sys.Read(", "WaitForSocketEvents", "Thread.Sleep", "Interop+Sys.Poll",
    ];

    public async Task PrintAsync(TextWriter output)
    {
        var exit = await _collect;
        if (exit != 0 || !File.Exists(_file))
        {
            output.WriteLine($"   --trace: dotnet-trace did not produce a trace (exit code {exit}).");
            return;
        }
        var report = Shell.TryRun(_tool, ["report", _file, "topN", "-n", "80"], 120_000);
        if (report is null)
        {
            output.WriteLine($"   --trace: 'dotnet-trace report' failed on {_file}.");
            return;
        }
        // Lines look like "12. Name(args)      3.5%      1.2%" (inclusive, exclusive).
        var rows = report.Split('\n')
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\s*\d+\.\s+(.*?)\s+([\d.]+)%\s+([\d.]+)%\s*$"))
            .Where(m => m.Success)
            .Select(m => (Name: m.Groups[1].Value, Exclusive: double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)))
            .ToList();
        var waiting = rows.Where(r => WaitFrames.Any(w => r.Name.Contains(w, StringComparison.Ordinal))).Sum(r => r.Exclusive);
        var working = Math.Max(0.01, 100 - waiting);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   server profile (dotnet-trace thread-time samples, {waiting:F0}% of samples were threads waiting; the rest shared out below), trace {_file}:"));
        foreach (var (name, exclusive) in rows.Where(r => !WaitFrames.Any(w => r.Name.Contains(w, StringComparison.Ordinal))).Take(20))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   | {exclusive / working * 100,5:F1}%  {name}"));
    }
}
