using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Modules.Sensors.Mqtt;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Sensors;

public static class SensorsModule
{
    public static void AddSensorsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().Bind(builder.Configuration.GetSection(IngestOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<GatewayKeys>();
        builder.Services.AddTable<SensorsTable>();
        builder.Services.AddSingleton<SensorService>();
        builder.Services.AddSingleton<SensorDirectory>();
        builder.Services.AddSingleton<ReadingPartitions>();
        builder.Services.AddSingleton<IngestPipeline>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestPipeline>());
        builder.Services.AddSingleton<DeviceIngest>();
        builder.Services.AddSingleton<IMqttDeviceGateway, MqttIngestGateway>();
        builder.Services.AddSingleton<SensorHealthService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SensorHealthService>());
        builder.Services.AddHostedService<SensorDirectoryWarmUp>();
        builder.AddMqttTransport();
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

    public static void MapSensorsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapSensorEndpoints();
        GatewayKeys.MapGatewayEndpoints(app);
        app.MapHttpIngest();
        app.MapFiwareIngest();
    }
}
