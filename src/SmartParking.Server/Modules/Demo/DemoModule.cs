using SmartParking.Server.Platform.Hosting;

namespace SmartParking.Server.Modules.Demo;

public static class DemoModule
{
    public static void AddDemoModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DemoOptions>().Bind(builder.Configuration.GetSection(DemoOptions.Section));
        builder.Services.AddHostedService<DemoSeeder>();
        builder.Services.AddHostedService<DemoCityGuide>();
        // The demo's readings go through the ingest pipeline, which runs on ingest nodes.
        if (builder.NodeRole().Runs(NodeParts.Ingest)) builder.Services.AddHostedService<DemoTraffic>();
    }
}
