using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Identity;

namespace SmartParking.Server.Modules.Admin;

/// <summary>
/// The operator dashboard at /admin: Blazor pages (Components/Pages) over the same services as the API, and the
/// dashboard's file downloads, which the browser fetches with its sign-in cookie (the API takes bearer tokens only).
/// </summary>
public static class AdminModule
{
    public static void AddAdminModule(this WebApplicationBuilder builder) => builder.Services.AddScoped<TenantSetup>();

    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireAuthorization(Policies.Operator).ExcludeFromDescription();
        admin.MapGet("/exports/{table}", AnalyticsModule.Export);
        admin.MapGet("/reports/summary.pdf", AnalyticsModule.SummaryPdfFile);
        admin.MapGet("/reports/daily/{file}", AnalyticsModule.DailyReportFile);
        app.MapDeadLetterEndpoints();
    }
}
