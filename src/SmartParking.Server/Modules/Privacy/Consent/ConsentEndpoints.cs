using System.Security.Claims;
using SmartParking.Server.Modules.Identity;

namespace SmartParking.Server.Modules.Privacy.Consent;

public static class ConsentEndpoints
{
    public static void MapConsentEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/v1/me/consents").WithTags("Privacy").RequireAuthorization(Policies.Driver);
        me.MapGet("/", (ClaimsPrincipal user, ConsentStore store, CancellationToken ct) => store.GetAsync(user.UserId(), ct));
        me.MapPut("/", (ConsentsRequest request, ClaimsPrincipal user, ConsentStore store, CancellationToken ct) =>
            store.ChangeAsync(user.UserId(), request, ConsentSources.Api, ct));
    }
}
