using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SmartParking.Server.Platform.Observability;

/// <summary>
/// Every health check's latest result as a gauge (1 healthy, 0.5 degraded, 0 unhealthy), so Prometheus can alert on
/// "database unreachable" or a stuck ingest from the scrape it already takes, without probing each replica itself.
/// </summary>
internal sealed class HealthMetrics : IHealthCheckPublisher
{
    private readonly ConcurrentDictionary<string, double> _status = new();

    public HealthMetrics(IMeterFactory meters) =>
        meters.Create(ObservabilityModule.MeterName + ".Health").CreateObservableGauge("smartparking.health.check.status",
            () => _status.Select(s => new Measurement<double>(s.Value, new KeyValuePair<string, object?>("check", s.Key))),
            description: "Latest result of each health check: 1 healthy, 0.5 degraded, 0 unhealthy");

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        foreach (var (name, entry) in report.Entries)
            _status[name] = entry.Status switch { HealthStatus.Healthy => 1, HealthStatus.Degraded => 0.5, _ => 0 };
        return Task.CompletedTask;
    }
}
