using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Observability;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Privacy.Retention;

public sealed class RetentionOptions
{
    public const string Section = "Privacy:Retention";

    /// <summary>How often the retention job runs (hours between the starts of two runs).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 24 * 7)] public int IntervalHours { get; set; } = 24;

    /// <summary>Rows a rule handles per statement (and transaction), so no table is locked for long.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)] public int BatchSize { get; set; } = 5_000;
}

/// <summary>
/// Applies every module's retention rule once per Privacy:Retention:IntervalHours, started by the node running the
/// scheduled jobs, and reports what each removed: a row per data class in retention_runs, a log line and metrics. A
/// failing rule is reported and the others still run; what it left is due again next run.
/// <para>
/// A run works off the job loop (a first run over years of data takes a while, and hold expiry must not wait for it),
/// under its own advisory lock, so one runs at a time across nodes, the API's included.
/// </para>
/// </summary>
public sealed class RetentionJob(IEnumerable<IRetentionRule> rules, RetentionPolicies policies, RetentionRuns runs, IOptions<RetentionOptions> options,
    NpgsqlDataSource db, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<RetentionJob> logger) : IScheduledJob
{
    private const long LockKey = 0x5245_5445_4E54; // "RETENT"
    public const string Busy = "A retention run is in progress; try again when it has finished.";

    private int _started;

    private static readonly Meter Meter = new(ObservabilityModule.MeterName + ".Privacy");
    private static readonly Counter<long> Removed = Meter.CreateCounter<long>("smartparking.retention.removed", "{row}",
        "Rows deleted by the retention job, by data class");
    private static readonly Counter<long> Pseudonymised = Meter.CreateCounter<long>("smartparking.retention.pseudonymised", "{row}",
        "Rows whose personal data the retention job pseudonymised, by data class");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("smartparking.retention.failures", "{rule}",
        "Retention rules that failed in a run, by data class: what they left is retried next run");

    public string Name => "retention";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (!await IsDueAsync(now, ct) || Interlocked.Exchange(ref _started, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                var stopping = lifetime.ApplicationStopping;
                // Due is asked again under the lock: another node may have run it meanwhile.
                await TryRunAsync(async t => await IsDueAsync(time.GetUtcNow(), t) ? await ApplyAllAsync(time.GetUtcNow(), t) : [], stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Retention run failed; trying again next round");
            }
            catch (OperationCanceledException) { } // the host is stopping; the next run applies what this one had not reached
            finally
            {
                Interlocked.Exchange(ref _started, 0);
            }
        });
    }

    private async Task<bool> IsDueAsync(DateTimeOffset now, CancellationToken ct) =>
        await runs.LastStartedAsync(ct) is not { } last || now - last >= TimeSpan.FromHours(options.Value.IntervalHours);

    /// <summary>Applies every rule now, whenever the last run was; the run's rows. A run already going is a 409.</summary>
    public async Task<IReadOnlyList<RetentionRunEntry>> RunNowAsync(DateTimeOffset now, CancellationToken ct) =>
        await TryRunAsync(t => ApplyAllAsync(now, t), ct) ?? throw new ConflictException(Busy, retryAfter: TimeSpan.FromSeconds(30));

    /// <summary>Runs <paramref name="run"/> holding the retention lock (a session lock, gone with the connection if the node dies); null when another holds it.</summary>
    private async Task<IReadOnlyList<RetentionRunEntry>?> TryRunAsync(Func<CancellationToken, Task<IReadOnlyList<RetentionRunEntry>>> run, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition($"select pg_try_advisory_lock({LockKey})", cancellationToken: ct))) return null;
        try
        {
            return await run(ct);
        }
        finally
        {
            await connection.ExecuteAsync($"select pg_advisory_unlock({LockKey})");
        }
    }

    private async Task<IReadOnlyList<RetentionRunEntry>> ApplyAllAsync(DateTimeOffset now, CancellationToken ct)
    {
        var runId = Guid.NewGuid();
        var entries = new List<RetentionRunEntry>();
        foreach (var group in rules.GroupBy(r => r.DataClass, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var started = time.GetUtcNow();
            var clock = Stopwatch.StartNew();
            var outcome = default(RetentionOutcome);
            var errors = new List<string>();
            if (RetentionClasses.Find(group.Key) is not { } retentionClass)
                errors.Add($"'{group.Key}' is not a data class in RetentionClasses.");
            else
            {
                var scope = await policies.ScopeAsync(retentionClass, now, options.Value.BatchSize, ct);
                foreach (var rule in group)
                {
                    try
                    {
                        outcome += await rule.ApplyAsync(scope, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        logger.LogError(e, "Retention rule {Rule} for {DataClass} failed", rule.GetType().Name, group.Key);
                        errors.Add($"{rule.GetType().Name}: {e.Message}");
                    }
                }
            }
            var entry = new RetentionRunEntry(runId, group.Key, started, time.GetUtcNow(), outcome.Removed, outcome.Pseudonymised,
                errors.Count == 0 ? null : string.Join("; ", errors));
            entries.Add(entry);
            await runs.RecordAsync(entry, ct);
            var tag = new KeyValuePair<string, object?>("data_class", group.Key);
            Removed.Add(outcome.Removed, tag);
            Pseudonymised.Add(outcome.Pseudonymised, tag);
            if (entry.Error is not null) Failures.Add(1, tag);
            logger.LogInformation("Retention {DataClass}: {Removed} removed, {Pseudonymised} pseudonymised in {Milliseconds} ms{Failure}",
                group.Key, outcome.Removed, outcome.Pseudonymised, (long)clock.Elapsed.TotalMilliseconds, entry.Error is null ? "" : "; failed: " + entry.Error);
        }
        return entries;
    }
}
