namespace SmartParking.Server.Modules.Demo;

public static class DemoModule
{
    public static void AddDemoModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DemoOptions>().Bind(builder.Configuration.GetSection(DemoOptions.Section));
        builder.Services.AddHostedService<DemoSeeder>();
        builder.Services.AddHostedService<DemoCityGuide>();
        builder.Services.AddHostedService<DemoTraffic>();
    }
}
