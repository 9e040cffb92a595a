using Npgsql;

namespace SmartParking.Server.Platform.Scheduling;

/// <summary>Work that must run on one node at a time, on a schedule (hold expiry, no-shows, session expiry, …).</summary>
public interface IScheduledJob
{
    string Name { get; }

    Task RunAsync(DateTimeOffset now, CancellationToken ct);
}

/// <summary>
/// Runs every registered job each interval on whichever node holds a PostgreSQL advisory lock; the others skip the
/// round. Jobs keep their state in the database, so a restart or another node taking over loses nothing.
/// </summary>
public sealed class SingleNodeJobs(NpgsqlDataSource db, IEnumerable<IScheduledJob> jobs, TimeProvider time, TimeSpan interval, ILogger<SingleNodeJobs> logger) : BackgroundService
{
    private const long LockKey = 0x4A4F4253; // "JOBS"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await RunRoundAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Scheduled jobs round failed: {Error}; trying again next round", e.Message);
            }
        }
        while (await NextAsync(timer, stoppingToken));
    }

    private static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>One round now (tests call this to avoid waiting for the timer).</summary>
    public async Task RunRoundAsync(CancellationToken ct)
    {
        // A session-level lock on a connection held for the round: released with the connection if the node dies.
        await using var connection = await db.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand($"select pg_try_advisory_lock({LockKey})", connection))
            if (!(bool)(await take.ExecuteScalarAsync(ct))!) return;
        try
        {
            foreach (var job in jobs)
            {
                try
                {
                    await job.RunAsync(time.GetUtcNow(), ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One failing job must not starve the others; its state is in the database and the next round retries.
                    logger.LogError(e, "Scheduled job {Job} failed", job.Name);
                }
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand($"select pg_advisory_unlock({LockKey})", connection);
            await release.ExecuteScalarAsync(CancellationToken.None);
        }
    }
}
