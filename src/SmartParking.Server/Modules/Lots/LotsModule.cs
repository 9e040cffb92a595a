using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Modules.Lots.Tenants;

namespace SmartParking.Server.Modules.Lots;

public static class LotsModule
{
    public static void AddLotsModule(this WebApplicationBuilder builder) { }

    public static void MapLotsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapTenantEndpoints();
        app.MapLotEndpoints();
    }
}
