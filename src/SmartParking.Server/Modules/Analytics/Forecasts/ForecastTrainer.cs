using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Analytics.Forecasts;

public enum RetrainOutcome { Trained, UpToDate, AlreadyRunning, NotEnoughHistory }

/// <summary>What a retrain did; Model is the version now active (null when there is none).</summary>
public sealed record RetrainResult(RetrainOutcome Outcome, ForecastModelVersion? Model, string? Reason = null);

/// <summary>
/// Trains a tenant's model from its lots' hourly history and stores it as the next version. One training per tenant at a
/// time across nodes, under a PostgreSQL advisory lock held for the run; a request is satisfied by any model trained
/// since it was made, so requests racing on several nodes train once.
/// </summary>
public sealed class ForecastTrainer(NpgsqlDataSource db, LotHourlyHistory history, IOptions<ForecastOptions> options, TimeProvider time,
    ILogger<ForecastTrainer> logger) : IAsyncDisposable
{
    private const int LockClass = 0x46435354; // "FCST"

    private readonly Dictionary<Guid, Task> running = [];
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();

    /// <summary>
    /// Starts a retrain off the caller's thread (a request or the job loop must not wait minutes for a big tenant);
    /// false when this node is training the tenant already.
    /// </summary>
    public bool Start(Guid tenantId, DateTimeOffset requestedAt)
    {
        lock (gate)
        {
            if (running.ContainsKey(tenantId)) return false;
            running[tenantId] = Task.Run(async () =>
            {
                try { await RetrainAsync(tenantId, requestedAt, stopping.Token); }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
                catch (Exception e)
                {
                    logger.LogError(e, "Forecast training for tenant {Tenant} failed; its previous model stays active", tenantId);
                }
                finally
                {
                    lock (gate) running.Remove(tenantId);
                }
            });
            return true;
        }
    }

    public async Task<RetrainResult> RetrainAsync(Guid tenantId, DateTimeOffset requestedAt, CancellationToken ct)
    {
        // A session lock on a connection held for the run: released with the connection if the node dies mid-training.
        await using var connection = await db.OpenConnectionAsync(ct);
        var key = new { cls = LockClass, tenant = tenantId.ToString() };
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(@cls, hashtext(@tenant))", key, cancellationToken: ct)))
            return new RetrainResult(RetrainOutcome.AlreadyRunning, null, "another node is training this tenant's model");
        try
        {
            var active = await ForecastModels.ActiveAsync(connection, tenantId, ct);
            if (active is not null && active.TrainedAt >= requestedAt && active.FeatureLayout == OccupancyForecastModel.FeatureLayout)
                return new RetrainResult(RetrainOutcome.UpToDate, active);
            var settings = options.Value;
            var trainedAt = time.GetUtcNow();
            var cut = trainedAt.ToWholeHour().UtcDateTime;
            var lots = await history.TenantAsync(tenantId, cut.AddDays(-settings.TrainingDays), cut, ct);
            var trained = await Task.Run(() => Train(lots.Select(l => l.History).ToList(), cut, trainedAt, settings, ct), ct);
            if (trained is null)
                return new RetrainResult(RetrainOutcome.NotEnoughHistory, active,
                    $"no lot has {settings.Settings.MinimumHistoryDays} days of hourly occupancy yet");
            var stored = await ForecastModels.AddAsync(connection, tenantId, trained, settings.KeepVersions, ct);
            logger.LogInformation("Forecast model {Version} for tenant {Tenant}: {Lots} lots, {Hours} hours, backtest MAE {Mae} (seasonal-naive {NaiveMae})",
                stored.Version, tenantId, stored.Lots, stored.Hours, stored.BacktestMae, stored.SeasonalNaiveMae);
            return new RetrainResult(RetrainOutcome.Trained, stored);
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@cls, hashtext(@tenant))", key, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>The backtest (all but each lot's last days, forecast over them), then the model on everything; null without enough history.</summary>
    private static TrainedModel? Train(List<LotHistory> lots, DateTime cut, DateTimeOffset trainedAt, ForecastOptions options, CancellationToken ct)
    {
        var settings = options.Settings;
        var usable = lots.Where(l => l.HoursObservedBefore(cut) >= settings.MinimumHistoryDays * 24).ToList();
        if (usable.Count == 0) return null;
        Errors? backtest = null, naive = null;
        try
        {
            var report = ForecastBacktest.Run(usable, options.BacktestDays, settings);
            (backtest, naive) = (report.Overall.Model, report.Overall.SeasonalNaive);
        }
        catch (InvalidOperationException)
        {
            // No lot has enough history before its held-out days (a young tenant's first model): stored without a backtest.
        }
        ct.ThrowIfCancellationRequested();
        var outcome = OccupancyForecaster.Train(usable, cut, settings);
        var trained = usable.Where(l => outcome.Skipped.All(s => s.Lot != l.Lot)).ToList();
        return new TrainedModel(outcome.Model, trainedAt, trained.Count, trained.Sum(l => l.HoursObservedBefore(cut)), backtest, naive);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        // A training in flight finishes its current step; its lock goes with its connection.
        Task[] inFlight;
        lock (gate) inFlight = [.. running.Values];
        await Task.WhenAll(inFlight);
        stopping.Dispose();
    }
}
