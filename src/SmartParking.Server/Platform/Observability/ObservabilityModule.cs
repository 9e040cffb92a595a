using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SmartParking.Server.Platform.Observability;

public static class ObservabilityModule
{
    public const string MeterName = "SmartParking";

    public static void AddObservability(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (!builder.Environment.IsDevelopment() || builder.Configuration.GetValue("Logging:Json", false))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        builder.Services.AddSingleton(_ => new PrometheusExporter([
            "Microsoft.AspNetCore.Hosting",
            "Microsoft.AspNetCore.Server.Kestrel",
            "Microsoft.AspNetCore.RateLimiting",
            "Npgsql",
            "System.Runtime",
            MeterName + "*",
        ]));
        builder.Services.AddHostedService<ExporterActivator>();
        builder.Services.AddOptions<ObservabilityOptions>().Bind(builder.Configuration.GetSection(ObservabilityOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<CountGaugeRefresher>();
        builder.Services.AddSingleton<IHealthCheckPublisher, HealthMetrics>();
        builder.Services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.FromSeconds(2);
            o.Period = TimeSpan.FromSeconds(15);
        });
        builder.AddTracing();
    }

    public static void MapObservabilityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = Hosting.RoleReadiness.WriteAsync });
        app.MapHealthChecks("/health/startup", new HealthCheckOptions { Predicate = c => c.Tags.Contains("startup") });
        app.MapGet("/metrics", (PrometheusExporter exporter) =>
                TypedResults.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8))
            .ExcludeFromDescription();
    }

    // The listener must exist before the first request so no early measurement is missed.
    private sealed class ExporterActivator(PrometheusExporter exporter) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) { _ = exporter; return Task.CompletedTask; }
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
