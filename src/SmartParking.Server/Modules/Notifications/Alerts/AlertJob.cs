using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Scheduling;
using Npgsql;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>
/// The alert round, on the node holding the scheduled-jobs lock, every Alerts:EvaluateSeconds: evaluate every rule,
/// open, refresh or clear alerts, escalate the unacknowledged, and queue the messages.
/// </summary>
public sealed class AlertJob(AlertRules rules, AlertStore store, AlertDelivery delivery, AlertSettingsStore settings, LotCatalog lots, NpgsqlDataSource db,
    IOptions<AlertOptions> options, TimeProvider time, ILogger<AlertJob> logger) : IScheduledJob
{
    private DateTimeOffset _lastRound = DateTimeOffset.MinValue;

    public string Name => "alerts";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        // The jobs timer ticks every few seconds; the rules need not run that often.
        if (now - _lastRound < TimeSpan.FromSeconds(options.Value.EvaluateSeconds)) return;
        _lastRound = now;
        await RoundAsync(ct);
    }

    /// <summary>One round now (tests call it after moving the clock).</summary>
    public async Task RoundAsync(CancellationToken ct)
    {
        Dictionary<Guid, AlertSettings> all;
        await using (var connection = await db.OpenConnectionAsync(ct))
            all = await settings.AllAsync(connection, null, ct);
        var input = new RuleInput(await lots.AllAsync(ct), all, time.GetUtcNow());
        var evaluated = new List<string>();
        var conditions = new List<AlertCondition>();
        foreach (var rule in rules.All)
        {
            try
            {
                conditions.AddRange(await rule.Evaluate(input, ct));
                evaluated.AddRange(rule.Kinds);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Its alerts stay as they are this round: a rule that cannot look must not read as "all clear".
                logger.LogWarning(e, "Alert rule for {Kinds} failed; its alerts are left as they are", string.Join(", ", rule.Kinds));
            }
        }
        await store.ApplyAsync(evaluated, conditions, ct);
        await store.EscalateAsync(ct);
        await delivery.QueuePendingAsync(ct);
    }
}
