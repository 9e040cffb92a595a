using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Lots.Cities;

/// <summary><c>/api/v1/manage/tenants/{id}/city-guide</c>: the operator's own tenant (any for an admin).</summary>
public static class CityGuideEndpoints
{
    public static void MapCityGuideEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/tenants/{tenantId:guid}/city-guide").WithTags("Tenants").RequireAuthorization(Policies.Operator);
        group.MapGet("", async (Guid tenantId, ClaimsPrincipal principal, CityGuides guides, CancellationToken ct) =>
        {
            OwnTenant(tenantId, principal);
            return await guides.GetAsync(tenantId, ct);
        });
        group.MapPut("", async (Guid tenantId, CityGuideRequest request, ClaimsPrincipal principal, CityGuides guides, CancellationToken ct) =>
        {
            OwnTenant(tenantId, principal);
            return await guides.SaveAsync(tenantId, request, principal, ct);
        });
    }

    /// <summary>Another tenant's guide looks exactly like a missing one.</summary>
    private static void OwnTenant(Guid tenantId, ClaimsPrincipal principal)
    {
        if (principal.TenantScope() is { } own && own != tenantId) throw new NotFoundException("Tenant");
    }
}
