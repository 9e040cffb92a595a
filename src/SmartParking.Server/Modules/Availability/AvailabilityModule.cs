using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Availability;

public static class AvailabilityModule
{
    public static void AddAvailabilityModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AvailabilityModel>();
        builder.Services.AddEventSubscriber<AvailabilityModel>("availability.catalogue", EventDelivery.EveryNode);
        builder.Services.AddHostedService<AvailabilityStartup>();
        builder.Services.AddHostedService<ReportRefresh>();
        builder.Services.AddSingleton<ReservedSpaceView>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReservedSpaceView>());
        builder.Services.AddEventSubscriber<ReservedSpaceView>("availability.reserved-spaces", EventDelivery.EveryNode);
        builder.Services.AddSingleton<PriceView>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PriceView>());
        builder.Services.AddEventSubscriber<PriceView>("availability.prices", EventDelivery.EveryNode);
        builder.Services.AddHealthChecks().AddCheck<AvailabilityHealthCheck>("availability", tags: ["ready", "startup"]);
    }

    public static void MapAvailabilityModule(this IEndpointRouteBuilder app)
    {
        app.MapAvailabilityEndpoints();
        app.MapAvailabilityFeeds();
    }

    // Listen first, then load: a change committed in between is then seen by the refresh after the load.
    private sealed class AvailabilityStartup(AvailabilityModel model, PostgresNotifications notifications) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await notifications.Listening.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            await model.LoadAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Every node takes in the sensors' latest reports, for the age and confidence it shows, and any status change it
    /// has not seen: a change is normally taken in when its notification arrives, but one written while the change feed
    /// was reconnecting, with the resync's read failing on a connection the outage broke, would otherwise stay missing
    /// until the next change.
    /// </summary>
    private sealed class ReportRefresh(AvailabilityModel model, SensorReporting reporting, TimeProvider time, ILogger<ReportRefresh> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(reporting.HeardPrecision, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default))
            {
                if (!model.Loaded) continue;
                try
                {
                    await model.RefreshAsync(stoppingToken);
                    await model.RefreshReportsAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
                catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    logger.LogWarning("Sensor reports not refreshed: {Error}", e.Message);
                }
            }
        }
    }

    private sealed class AvailabilityHealthCheck(AvailabilityModel model) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
    {
        public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(model.Loaded
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("availability not loaded yet"));
    }
}
