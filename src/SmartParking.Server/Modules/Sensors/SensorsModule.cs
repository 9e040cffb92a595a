using Microsoft.Extensions.Diagnostics.HealthChecks;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Server.Modules.Sensors.Mqtt.ExternalBroker;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Hosting;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Sensors;

public static class SensorsModule
{
    public static void AddSensorsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().Bind(builder.Configuration.GetSection(IngestOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<GatewayKeys>();
        builder.Services.AddSingleton<SensorReporting>();
        builder.Services.AddTable<SensorsTable>();
        builder.Services.AddSingleton<SensorService>();
        builder.Services.AddSingleton<ISensorAttention>(sp => sp.GetRequiredService<SensorService>());
        builder.Services.AddSingleton<ISensorUptime>(sp => sp.GetRequiredService<SensorService>());
        builder.Services.AddSingleton<SensorDirectory>();
        builder.Services.AddEventSubscriber<SensorDirectory>("sensors.directory-cache", EventDelivery.EveryNode);
        builder.Services.AddEventSubscriber<GatewayKeys>("sensors.gateway-key-cache", EventDelivery.EveryNode);
        builder.Services.AddSingleton<ReadingArchive>();
        builder.Services.AddSingleton<ReadingPartitions>();
        builder.Services.AddSingleton<IRetentionRule, ReadingRetention>();
        builder.Services.AddSingleton<IngestPipeline>();
        // Readings arrive only on ingest nodes, so only they run the writer; the sweep is a job, so a worker's.
        var role = builder.NodeRole();
        if (role.Runs(NodeParts.Ingest)) builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestPipeline>());
        builder.Services.AddSingleton<IIngestBacklog>(sp => sp.GetRequiredService<IngestPipeline>());
        builder.Services.AddSingleton<IReadingIngest>(sp => sp.GetRequiredService<IngestPipeline>());
        builder.Services.AddSingleton<DeviceIngest>();
        builder.Services.AddSingleton<IMqttDeviceGateway, MqttIngestGateway>();
        builder.Services.AddSingleton<SensorHealthService>();
        if (role.Runs(NodeParts.Worker)) builder.Services.AddHostedService(sp => sp.GetRequiredService<SensorHealthService>());
        builder.Services.AddHostedService<SensorDirectoryWarmUp>();
        if (!role.Runs(NodeParts.Ingest)) builder.Configuration[$"{MqttOptions.Section}:{nameof(MqttOptions.Enabled)}"] = "false";
        builder.AddMqttTransport();
        // Readings from the city's own broker are ingest's work too.
        if (role.Runs(NodeParts.Ingest)) builder.AddExternalBroker();
        if (role.Runs(NodeParts.Ingest)) builder.Services.AddHealthChecks().AddCheck<IngestHealthCheck>("ingest", tags: ["ready"]);
    }

    /// <summary>
    /// Not ready while the reading writer makes no progress: a load balancer should stop sending devices here, and an
    /// operator should hear of it before the city's spaces decay to unknown.
    /// </summary>
    private sealed class IngestHealthCheck(IngestPipeline pipeline, Microsoft.Extensions.Options.IOptions<IngestOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (pipeline.ExecuteTask is { IsCompleted: true } stopped && !stopped.IsCompletedSuccessfully)
                return Task.FromResult(HealthCheckResult.Unhealthy("the reading writer has stopped"));
            return Task.FromResult(pipeline.WriterStuckFor() is { } stuck && stuck.TotalSeconds >= options.Value.StallSeconds
                ? HealthCheckResult.Unhealthy($"the reading writer has made no progress for {stuck.TotalSeconds:0} s; {pipeline.QueuedReadings} readings wait")
                : HealthCheckResult.Healthy());
        }
    }

    // After migrations (registered earlier); a failure only costs the warm cache, so start-up goes on.
    private sealed class SensorDirectoryWarmUp(SensorDirectory directory, ILogger<SensorDirectoryWarmUp> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try { await directory.WarmAsync(cancellationToken); }
            catch (Npgsql.NpgsqlException e) { logger.LogWarning("Sensor directory not warmed: {Error}", e.Message); }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The sensor registry and its management (API nodes).</summary>
    public static void MapSensorsEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        app.MapSensorEndpoints(configuration);
        app.MapSensorLotPolicyEndpoints();
        GatewayKeys.MapGatewayEndpoints(app);
    }

    /// <summary>Readings in over HTTP and FIWARE (ingest nodes).</summary>
    public static void MapSensorIngestEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHttpIngest();
        app.MapFiwareIngest();
    }
}
