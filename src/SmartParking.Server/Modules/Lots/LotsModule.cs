using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots.Cities;
using SmartParking.Server.Modules.Lots.Import;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Modules.Lots.Spaces;
using SmartParking.Server.Modules.Lots.Tenants;
using SmartParking.Server.Modules.Lots.Zones;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Lots;

public static class LotsModule
{
    public static void AddLotsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LotCatalog>();
        builder.Services.AddSingleton<CityGuides>();
        builder.Services.AddEventSubscriber<LotCatalog>("lots.catalogue-cache", EventDelivery.EveryNode);
        builder.Services.AddEventSubscriber<CityGuides>("lots.city-guide-cache", EventDelivery.EveryNode);
        builder.Services.AddSingleton<LotService>();
        builder.Services.AddSingleton<TenantDirectory>();
        builder.Services.AddSingleton<ITenants>(sp => sp.GetRequiredService<TenantDirectory>());
        builder.Services.AddSingleton<SpaceService>();
        builder.Services.AddSingleton<ZoneRuleBook>();
        builder.Services.AddSingleton<FiwareImport>();
        builder.Services.AddTable<LotsTable>();
        builder.Services.AddTable<SpacesTable>();
    }

    public static void MapLotsEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        app.MapTenantEndpoints();
        app.MapCityGuideEndpoints();
        app.MapLotEndpoints();
        app.MapZoneEndpoints();
        app.MapZoneRuleEndpoints();
        app.MapSpaceEndpoints(configuration);
        app.MapFiwareImport(configuration);
    }
}
