using System.Security.Claims;
using SmartParking.Server.Modules.Identity.SignIn;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Identity.Audit;

public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/manage/audit", List).WithTags("Audit").RequireAuthorization(Policies.Operator);
        // Accounts of every tenant and client addresses: the platform's administrators watch for guessing.
        app.MapGet("/api/v1/manage/sign-in-failures", (SignInFailures failures, DateTimeOffset? since, int? limit, CancellationToken ct) =>
                failures.ReportAsync(since, limit, ct))
            .WithTags("Audit").RequireAuthorization(Policies.Admin).ExplainForbidden("Only an administrator can see failed sign-ins.");
    }

    private static Task<Page<AuditEntry>> List(ClaimsPrincipal principal, AuditTable table, int? page, int? pageSize, string? sort, string? dir, string? q,
        string? entityType, string? entityId, string? action, DateTimeOffset? from, DateTimeOffset? to, Guid? tenantId, CancellationToken ct)
    {
        new Validation().Check(from is null || to is null || from < to, "to", "must be after 'from'.").ThrowIfInvalid();
        return table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q).With("tenantId", tenantId).With("entityType", entityType)
            .With("entityId", entityId).With("action", action).With("from", from).With("to", to), ct);
    }
}
