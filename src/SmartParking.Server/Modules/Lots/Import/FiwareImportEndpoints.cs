using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Lots.Import;

public static class FiwareImportEndpoints
{
    public static void MapFiwareImport(this IEndpointRouteBuilder app, IConfiguration configuration) =>
        app.MapPost("/api/v1/manage/import/fiware", ImportAsync).WithTags("Import").RequireAuthorization(Policies.Operator).AllowImportSizedBody(configuration)
            .DescribeBody<FiwareImportEntity>($"One NGSI-v2 or NGSI-LD entity or an array of at most {FiwareImport.MaxEntities:N0}, normalized or key-values; all or nothing.",
                oneOrMany: true, "application/json", "application/ld+json");

    private static Task<FiwareImportResult> ImportAsync(HttpRequest http, ClaimsPrincipal principal, FiwareImport import, Guid? tenantId,
        decimal? baseHourlyRate, string? timeZone, string? currency, string? sensorKind, bool? rotateSecrets, CancellationToken ct) =>
        import.ImportAsync(principal, http.Body, new FiwareImportRequest(tenantId, baseHourlyRate, timeZone, currency, sensorKind, rotateSecrets ?? false), ct);
}
