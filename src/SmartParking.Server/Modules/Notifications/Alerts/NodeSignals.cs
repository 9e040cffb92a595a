using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Sensors;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>Trouble one node reported: Signal is the alert kind, Subject what it is about (a provider, "ingest").</summary>
public sealed record NodeSignal(string Node, string Signal, string Subject, string Detail, DateTimeOffset ReportedAt);

/// <summary>
/// Payment circuits and the ingest queue live in each node's memory, while the rules run on one node: so every node
/// writes its own trouble (only what is wrong now) to a small table every few seconds, and the rules read the rows
/// reported recently. A node that stops reporting stops counting, so its alert clears with it.
/// </summary>
public sealed class NodeSignals(NpgsqlDataSource db, IPaymentProviderHealth payments, IIngestBacklog ingest, IOptions<AlertOptions> options, TimeProvider time,
    ILogger<NodeSignals> logger) : BackgroundService
{
    /// <summary>This node, as the alerts name it: the host, the process and this instance (two hosts may share a process).</summary>
    public string Node { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..6]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.NodeReportSeconds), time);
        do
        {
            try { await ReportAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning("Node signals not reported: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }

    /// <summary>Replaces this node's rows with what is wrong on it now.</summary>
    public async Task ReportAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var signals = payments.OpenCircuits()
            .Select(provider => (Signal: AlertKinds.PaymentCircuitOpen, Subject: provider, Detail: $"{Node}: the {provider} circuit is open"))
            .ToList();
        var backlog = ingest.Current();
        if (backlog.QueuedReadings >= backlog.MaxQueuedReadings)
            signals.Add((AlertKinds.IngestBacklog, "ingest", string.Create(CultureInfo.InvariantCulture,
                $"{Node}: {backlog.QueuedReadings:N0} readings queued (bound {backlog.MaxQueuedReadings:N0})")));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            delete from alert_node_signals where node = @Node;
            insert into alert_node_signals (node, signal, subject, detail, reported_at)
            select @Node, signal, subject, detail, @now from unnest(@kinds, @subjects, @details) as s(signal, subject, detail)
            """, new
        {
            Node, now,
            kinds = signals.Select(s => s.Signal).ToArray(),
            subjects = signals.Select(s => s.Subject).ToArray(),
            details = signals.Select(s => s.Detail).ToArray(),
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Every node's trouble reported within three report intervals of now.</summary>
    public async Task<IReadOnlyList<NodeSignal>> RecentAsync(CancellationToken ct)
    {
        var after = time.GetUtcNow().AddSeconds(-3 * options.Value.NodeReportSeconds);
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<NodeSignal>(new CommandDefinition(
            "select node, signal, subject, detail, reported_at as reportedat from alert_node_signals where reported_at >= @after order by node",
            new { after }, cancellationToken: ct))).ToList();
    }
}
