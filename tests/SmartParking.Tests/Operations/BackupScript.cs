using System.Diagnostics;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Operations;

/// <summary>Runs deploy/backup/pg-backup.sh as a real process, the way an operator or a cron job does.</summary>
internal static class BackupScript
{
    public static string Path { get; } = System.IO.Path.Combine(RepoPaths.Root, "deploy", "backup", "pg-backup.sh");

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout.Trim().Split('\n')[^1];

        public Result ShouldSucceed()
        {
            ExitCode.ShouldBe(0, $"pg-backup.sh failed:\n{Stdout}\n{Stderr}");
            return this;
        }
    }

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Path, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            // The cluster's owner (postgres, when the tests run as root) must be able to stand in the working directory.
            WorkingDirectory = System.IO.Path.GetTempPath(),
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
