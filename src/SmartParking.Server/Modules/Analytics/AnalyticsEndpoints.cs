using System.Globalization;
using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Modules.Analytics.DailyReports;
using SmartParking.Server.Modules.Analytics.Forecasts;
using SmartParking.Server.Modules.Analytics.History;
using SmartParking.Server.Modules.Analytics.Rollups;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>A retrain request taken: "started" here, or "running" (this node is training the tenant already).</summary>
public sealed record RetrainAccepted(DateTimeOffset RequestedAt, string Status, int? ActiveVersion);

public static class AnalyticsModule
{
    public static void AddAnalyticsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReportService>();
        builder.Services.AddSingleton<OverviewService>();
        builder.Services.AddOptions<DailyReportOptions>().Bind(builder.Configuration.GetSection(DailyReportOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DailyReportBuilder>();
        builder.Services.AddSingleton<DailyReportStore>();
        builder.Services.AddSingleton<DailyReportJob>();
        builder.Services.AddSingleton<DailyReportArchive>();
        builder.Services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<DailyReportJob>());
        builder.Services.AddOptions<HistoryImportOptions>().BindConfiguration(HistoryImportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<HistoryImportService>();
        builder.Services.AddOptions<ForecastOptions>().BindConfiguration(ForecastOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ForecastModels>();
        builder.Services.AddSingleton<LotHourlyHistory>();
        builder.Services.AddSingleton<ForecastTrainer>();
        builder.Services.AddSingleton<ForecastModelCache>();
        builder.Services.AddSingleton<OccupancyForecasts>();
        builder.Services.AddSingleton<IOccupancyForecasts>(sp => sp.GetRequiredService<OccupancyForecasts>());
        builder.Services.AddSingleton<ForecastRetrainJob>();
        builder.Services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<ForecastRetrainJob>());
        AddRollups(builder);
    }

    /// <summary>Rollups can be switched off (Analytics:Rollups:Enabled) to measure what they cost ingest.</summary>
    private static void AddRollups(WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RollupOptions>().Bind(builder.Configuration.GetSection(RollupOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RollupStore>();
        builder.Services.AddSingleton<RollupReader>();
        if (!builder.Configuration.GetValue($"{RollupOptions.Section}:{nameof(RollupOptions.Enabled)}", true)) return;
        builder.Services.AddSingleton<SpacePlaces>();
        builder.Services.AddEventSubscriber<SpacePlaces>("analytics.space-places", EventDelivery.EveryNode);
        builder.Services.AddSingleton<RollupLedger>();
        // Rollups can wait for the dispatcher's poll: ingest's status batches then never wake it.
        builder.Services.AddEventSubscriber<RollupLedger>("analytics.rollups", EventDelivery.Durable, wakes: false);
        builder.Services.AddSingleton<RollupJob>();
        builder.Services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<RollupJob>());
    }

    public static void MapAnalyticsEndpoints(this IEndpointRouteBuilder app)
    {
        var manage = app.MapGroup("/api/v1/manage").WithTags("Reports").RequireAuthorization(Policies.Operator);
        manage.MapGet("/exports/{table}", Export);
        manage.MapGet("/tables", Tables);
        manage.MapGet("/reports/occupancy", (ClaimsPrincipal user, ReportService reports, Guid? lotId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct) =>
            reports.OccupancyAsync(user, lotId, from, to, ct));
        manage.MapGet("/reports/revenue", (ClaimsPrincipal user, ReportService reports, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct) =>
            reports.RevenueAsync(user, from, to, ct));
        manage.MapGet("/reports/summary.pdf", SummaryPdfFile);
        manage.MapGet("/reports/daily", (ClaimsPrincipal user, DailyReportArchive reports, Guid? tenantId, CancellationToken ct) => reports.ListAsync(user, tenantId, ct));
        manage.MapGet("/reports/daily/{file}", DailyReportFile);
        manage.MapGet("/analytics/rollups", (ClaimsPrincipal user, RollupReader rollups, Guid? lotId, string? granularity, string? scope, DateTimeOffset? from,
            DateTimeOffset? to, CancellationToken ct) => rollups.ReadAsync(user, lotId, granularity, scope, from, to, ct));
        manage.MapGet("/overview", (ClaimsPrincipal user, OverviewService overview, CancellationToken ct) => overview.GetAsync(user, ct));
        app.MapHistoryImportEndpoints();
        manage.MapPost("/analytics/forecast/retrain", Retrain).WithTags("Forecasts");
        manage.MapGet("/analytics/forecast/models", (ClaimsPrincipal user, ForecastModels models, Guid? tenantId, CancellationToken ct) =>
            models.ListAsync(user.TenantForWrite(tenantId), ct)).WithTags("Forecasts");

        // Drivers see forecasts like availability: every lot is public.
        app.MapGet("/api/v1/lots/{id:guid}/forecast", (Guid id, DateTimeOffset? from, DateTimeOffset? to, OccupancyForecasts forecasts, CancellationToken ct) =>
            forecasts.ForLotAsync(id, from, to, ct)).WithTags("Forecasts");
    }

    /// <summary>
    /// Retrains the tenant's forecast model in the background and answers at once (training a large tenant takes
    /// minutes): 202 with the version active now; the new one appears in …/forecast/models when done.
    /// </summary>
    private static async Task<IResult> Retrain(ClaimsPrincipal user, Guid? tenantId, ForecastTrainer trainer, ForecastModels models, TimeProvider time, CancellationToken ct)
    {
        var tenant = user.TenantForWrite(tenantId);
        var requestedAt = time.GetUtcNow();
        var started = trainer.Start(tenant, requestedAt);
        var active = await models.ActiveAsync(tenant, ct);
        return TypedResults.Accepted("/api/v1/manage/analytics/forecast/models",
            new RetrainAccepted(requestedAt, started ? "started" : "running", active?.Version));
    }

    /// <summary>
    /// Any table as CSV, XLSX or PDF, with the same filters and sort as its page (every query key but format, page and
    /// pageSize), scoped to the caller's tenant by the table itself.
    /// </summary>
    internal static async Task<IResult> Export(string table, string? format, HttpContext http, ClaimsPrincipal user, IEnumerable<ITable> tables, NpgsqlDataSource db,
        AuditLog audit, CancellationToken ct)
    {
        var kind = format?.ToLowerInvariant() switch
        {
            null or "csv" => TableFormat.Csv,
            "xlsx" => TableFormat.Xlsx,
            "pdf" => TableFormat.Pdf,
            _ => throw new ValidationException("format", "must be csv, xlsx or pdf."),
        };
        var match = tables.FirstOrDefault(t => string.Equals(t.Name, table, StringComparison.OrdinalIgnoreCase)) ?? throw new NotFoundException($"Table '{table}'");
        var request = TableRequest.FromQuery(http.Request.Query);
        var file = await match.ExportAsync(user, request, kind, ct);
        // An empty file shows no one's data. The tenant is the entry's own, so the filters leave it out.
        if (match.PersonalData && file.Rows > 0)
        {
            var filters = string.Join('&', http.Request.Query.Where(q => !q.Key.Equals("tenantId", StringComparison.OrdinalIgnoreCase))
                .SelectMany(q => q.Value.Select(v => $"{q.Key}={v}")));
            await using var connection = await db.OpenConnectionAsync(ct);
            await audit.TableExportedAsync(connection, user, user.TenantScope(request.Guid("tenantId")), match.Name, kind.ToString().ToLowerInvariant(),
                file.Rows.Value, filters, ct);
        }
        return TypedResults.File(file.Content, file.ContentType, file.FileName);
    }

    /// <summary>Every table with its columns, for a UI that renders any of them.</summary>
    private static IReadOnlyList<TableInfo> Tables(IEnumerable<ITable> tables) =>
        tables.Select(t => new TableInfo(t.Name, t.Title, t.Columns)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();

    /// <summary>A stored daily report ("2026-12-04.pdf" or ".xlsx"); an administrator adds tenantId.</summary>
    internal static async Task<IResult> DailyReportFile(string file, ClaimsPrincipal user, DailyReportArchive reports, Guid? tenantId, CancellationToken ct)
    {
        var found = await reports.FileAsync(user, file, tenantId, ct);
        return TypedResults.File(found.Content, found.ContentType, found.FileName);
    }

    internal static async Task<IResult> SummaryPdfFile(ClaimsPrincipal user, ReportService reports, TimeProvider time, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        var summary = await reports.SummaryAsync(user, from, to, ct);
        var name = $"summary-{summary.From.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}-{summary.To.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}.pdf";
        return TypedResults.File(SummaryPdf.Render(summary, time.GetUtcNow()), "application/pdf", name);
    }
}
