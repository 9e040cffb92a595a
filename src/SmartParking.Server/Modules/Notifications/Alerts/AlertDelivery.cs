using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>
/// Hands each recorded escalation step (alert_escalations) to the Notifications queue as an "operator_alert". A step
/// is recorded in the transaction that decided it and queued after the commit; one the queue did not take is tried
/// again next round under the same source id, so the queue sends it once.
/// </summary>
public sealed class AlertDelivery(NpgsqlDataSource db, IServiceProvider services, LotCatalog lots, IOptions<AlertOptions> options, TimeProvider time, ILogger<AlertDelivery> logger)
{
    public const string Kind = "operator_alert";

    /// <summary>A step older than this that was never queued (no queue configured then) is not sent any more: it is news no longer.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    public async Task<int> QueuePendingAsync(CancellationToken ct)
    {
        // The Notifications module provides the queue; a deployment without it records steps but sends nothing.
        if (services.GetService<INotificationQueue>() is not { } queue) return 0;
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var steps = (await connection.QueryAsync<Step>(new CommandDefinition("""
            select e.alert_id, e.level, e.channel, e.address, a.tenant_id, a.lot_id, a.title, a.detail
            from alert_escalations e join alerts a on a.id = e.alert_id
            where e.queued_at is null and e.at > @after order by e.at limit 500
            """, new { after = now - MaxDelay }, cancellationToken: ct))).ToList();
        if (steps.Count == 0) return 0;
        var requests = new List<NotificationRequest>();
        foreach (var step in steps)
        {
            // Platform-wide alerts (a provider's circuit, the ingest backlog) have no lot: the message names the platform.
            var lot = step.LotId is { } lotId ? (await lots.FindAsync(lotId, ct))?.Name ?? "a deleted lot" : "the platform";
            var link = $"{options.Value.DashboardUrl.TrimEnd('/')}/alerts?alert={step.AlertId}";
            requests.Add(new NotificationRequest(SourceId(step.AlertId, step.Level), step.TenantId, Kind,
                new AddressRecipient(Channel(step.Channel), step.Address),
                new Dictionary<string, string> { ["title"] = step.Title, ["detail"] = step.Detail, ["lot"] = lot, ["link"] = link },
                // Operational, with an escalation clock running: never held for quiet hours or a cap.
                Urgent: true, Link: link));
        }
        try
        {
            await queue.QueueAsync(requests, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Alert notifications not queued ({Count}): {Error}; trying again next round", requests.Count, e.Message);
            return 0;
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            update alert_escalations e set queued_at = @now from unnest(@alerts, @levels) as s(alert_id, level)
            where e.alert_id = s.alert_id and e.level = s.level
            """, new { now, alerts = steps.Select(s => s.AlertId).ToArray(), levels = steps.Select(s => s.Level).ToArray() }, cancellationToken: ct));
        return steps.Count;
    }

    /// <summary>Stable per alert and step, so a retry of the same step is the same notification.</summary>
    public static Guid SourceId(Guid alertId, int level) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"operator_alert:{alertId:N}:{level}"))[..16]);

    private static ChannelKind Channel(string channel) => channel switch
    {
        "email" => ChannelKind.Email,
        "sms" => ChannelKind.Sms,
        "slack" => ChannelKind.Slack,
        _ => ChannelKind.Webhook,
    };

    private sealed class Step
    {
        public Guid AlertId { get; init; }
        public int Level { get; init; }
        public string Channel { get; init; } = "";
        public string Address { get; init; } = "";
        public Guid? TenantId { get; init; }
        public Guid? LotId { get; init; }
        public string Title { get; init; } = "";
        public string Detail { get; init; } = "";
    }
}
