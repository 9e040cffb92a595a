using System.Security.Claims;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Notifications.Alerts;

/// <summary>
/// Operator alerts: the rules job, the alerts and their lifecycle, escalation through the Notifications queue, the
/// settings and list/acknowledge/resolve API, and the live feed the dashboard listens to.
/// </summary>
public static class OperatorAlertsModule
{
    public static void AddOperatorAlerts(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AlertFeed>();
        builder.Services.AddSingleton<AlertSettingsStore>();
        builder.Services.AddSingleton<AlertStore>();
        builder.Services.AddSingleton<AlertRules>();
        builder.Services.AddSingleton<AlertDelivery>();
        builder.Services.AddSingleton<AlertJob>();
        builder.Services.AddTable<AlertsTable>();
        builder.Services.AddSingleton<IOperatorAlerts, OperatorAlerts>();
        builder.Services.AddSingleton<NodeSignals>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NodeSignals>());
        if (builder.Configuration.GetValue($"{AlertOptions.Section}:{nameof(AlertOptions.Scheduled)}", true))
            builder.Services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<AlertJob>());
        builder.Services.AddSingleton<AlertFeedSubscriber>();
        builder.Services.AddEventSubscriber<AlertFeedSubscriber>("alerts.feed", EventDelivery.EveryNode);
    }

    public static void MapOperatorAlertEndpoints(this IEndpointRouteBuilder app)
    {
        var manage = app.MapGroup("/api/v1/manage").WithTags("Alerts").RequireAuthorization(Policies.Operator);
        manage.MapGet("/alerts", List);
        manage.MapPost("/alerts/{id:guid}/acknowledge", Acknowledge);
        manage.MapPost("/alerts/{id:guid}/resolve", Resolve);
        manage.MapGet("/alert-settings", GetSettings);
        manage.MapPut("/alert-settings", PutSettings);
    }

    private static Task<Page<AlertView>> List(ClaimsPrincipal principal, AlertsTable table, string? status, string? kind, Guid? lotId, Guid? tenantId, string? q,
        int? page, int? pageSize, string? sort, string? dir, CancellationToken ct) =>
        table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q).With("tenantId", tenantId).With("status", status).With("kind", kind).With("lotId", lotId), ct);

    private static Task<AlertView> Acknowledge(Guid id, ClaimsPrincipal principal, AlertStore store, CancellationToken ct) =>
        store.AcknowledgeAsync(principal, id, ct);

    private static Task<AlertView> Resolve(Guid id, AlertResolution? resolution, ClaimsPrincipal principal, AlertStore store, CancellationToken ct) =>
        store.ResolveAsync(principal, id, resolution, ct);

    private static Task<AlertSettings> GetSettings(ClaimsPrincipal principal, AlertSettingsStore store, Guid? tenantId, CancellationToken ct) =>
        store.GetAsync(principal, tenantId, ct);

    private static Task<AlertSettings> PutSettings(AlertSettings settings, ClaimsPrincipal principal, AlertSettingsStore store, CancellationToken ct) =>
        store.PutAsync(principal, settings, ct);
}
