using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SmartParking.Server.Modules.Sensors.Mqtt.ExternalBroker;

public static class ExternalBrokerModule
{
    /// <summary>
    /// Validates Mqtt:ExternalBroker at start-up and, when its Host is set, subscribes to that broker. Register after
    /// the ingest pipeline: hosted services stop in reverse order, so the subscription ends before the pipeline does.
    /// </summary>
    public static void AddExternalBroker(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ExternalBrokerOptions.Section);
        builder.Services.AddOptions<ExternalBrokerOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        if (string.IsNullOrWhiteSpace(section[nameof(ExternalBrokerOptions.Host)])) return;
        builder.Services.AddSingleton<ExternalBrokerMetrics>();
        builder.Services.AddSingleton<ExternalBrokerClient>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExternalBrokerClient>());
        builder.Services.AddHealthChecks().AddCheck<ExternalBrokerHealthCheck>("mqtt-external-broker", tags: ["ready"]);
    }

    /// <summary>
    /// Degraded, not unhealthy, while the broker is away: the node still serves HTTP and the built-in broker, and
    /// restarting it would not bring the city's broker back; readiness shows the state and the reason.
    /// </summary>
    private sealed class ExternalBrokerHealthCheck(ExternalBrokerClient client) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(client.IsConnected
                ? HealthCheckResult.Healthy(client.State)
                : HealthCheckResult.Degraded("not subscribed to the external MQTT broker: " + client.State));
    }
}
