using System.Diagnostics.Metrics;
using Dapper;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Observability;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>Pay-as-you-park sessions for /metrics: starts from the committed events, the running ones from this module's table.</summary>
internal sealed class SessionMetrics : IEventHandler<SessionStarted>
{
    private static readonly Meter Meter = new(ObservabilityModule.MeterName + ".Sessions");
    private static readonly Counter<long> Started = Meter.CreateCounter<long>("smartparking.sessions.started", "{session}",
        "Pay-as-you-park sessions started");

    public static readonly CountGauge Active = new("smartparking.sessions.active", "{session}",
        "Pay-as-you-park sessions running now",
        (connection, ct) => connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from meter_sessions where status = 'active' and ends_at > now()", cancellationToken: ct)));

    public Task HandleAsync(SessionStarted domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Started.Add(1);
        return Task.CompletedTask;
    }
}
