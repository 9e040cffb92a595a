using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Analytics.History;

public static class HistoryImportEndpoints
{
    /// <summary>What the OpenAPI document says about the file.</summary>
    private const string Description =
        "Occupancy history as UTF-8 CSV (text/csv, or multipart/form-data with one file part) with a header row and the columns "
        + "lot,capacity,occupied,observed_at in any order (other columns are ignored and reported), or the CityPulse columns "
        + "garagecode,totalspaces,vehiclecount,updatetime. lot is a lot's id or name (ignoring case) in the tenant; observed_at is "
        + "ISO 8601 with an offset, or local time in the zone given by the timezone parameter. Readings are resampled to hourly "
        + "means and peaks; the answer reports what was kept, clipped and dropped. Limit: Analytics:ImportMaxBytes (413 above it).";

    public static void MapHistoryImportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/analytics/history").WithTags("Reports").RequireAuthorization(Policies.Operator);
        // The import enforces its own limit as it reads, so the server-wide one is lifted here.
        group.MapPost("", ImportAsync).DescribeBody<string>(Description, oneOrMany: false, "text/csv", "multipart/form-data")
            .WithMetadata(new DisableRequestSizeLimitAttribute());
        group.MapGet("", (ClaimsPrincipal user, HistoryImportService imports, Guid? tenantId, CancellationToken ct) => imports.ListAsync(user, tenantId, ct));
        group.MapGet("/{id:guid}", (Guid id, ClaimsPrincipal user, HistoryImportService imports, CancellationToken ct) => imports.GetAsync(user, id, ct));
    }

    /// <summary>
    /// timezone: the IANA zone of times without an offset (required when the file has any). tenantId: admins only.
    /// fileName: the name recorded for a text/csv body (a form's file part brings its own).
    /// </summary>
    private static async Task<IResult> ImportAsync(HttpRequest request, ClaimsPrincipal user, HistoryImportService imports, string? timezone, Guid? tenantId,
        string? fileName, CancellationToken ct)
    {
        if (request.ContentLength > imports.MaxBytes) throw HistoryImportService.TooLarge(imports.MaxBytes);
        var report = request.ContentType switch
        {
            { } type when type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) => await FromFormAsync(request, user, imports, timezone, tenantId, fileName, ct),
            null => await imports.ImportAsync(user, tenantId, request.Body, fileName, timezone, ct),
            { } type when type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) || type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) =>
                await imports.ImportAsync(user, tenantId, request.Body, fileName, timezone, ct),
            _ => throw new ValidationException("Content-Type", "must be text/csv or multipart/form-data."),
        };
        return TypedResults.Created($"/api/v1/manage/analytics/history/{report.Id}", report);
    }

    /// <summary>The form's first file part, streamed: the form is not buffered whole.</summary>
    private static async Task<HistoryImportReport> FromFormAsync(HttpRequest request, ClaimsPrincipal user, HistoryImportService imports, string? timezone, Guid? tenantId,
        string? fileName, CancellationToken ct)
    {
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary)) throw new ValidationException("Content-Type", "multipart/form-data needs a boundary.");
        var reader = new MultipartReader(boundary, request.Body);
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (section.GetContentDispositionHeader() is not { } disposition || !disposition.IsFileDisposition()) continue;
                var name = fileName ?? (disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : disposition.FileName.Value);
                return await imports.ImportAsync(user, tenantId, section.Body, name, timezone, ct);
            }
        }
        catch (InvalidDataException e)
        {
            throw new ValidationException("body", "is not a valid multipart form: " + e.Message);
        }
        throw new ValidationException("file", "is missing: send the CSV as the form's file part.");
    }
}
