using SmartParking.Server.Modules.Demo;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform;
using SmartParking.Server.Platform.Database;

var builder = WebApplication.CreateBuilder(args);
await builder.AddPlatformAsync();
builder.AddIdentityModule();
builder.AddSensorsModule();
builder.AddDemoModule();

var app = builder.Build();
if (args.Contains("migrate"))
{
    await app.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
    await app.Services.GetService<LocalPostgres>()?.StopAsync(CancellationToken.None)!;
    return;
}

app.UsePlatform();
app.MapIdentityEndpoints();
app.MapLotsEndpoints(app.Configuration);
app.MapSensorsEndpoints();
await app.RunAsync();

public partial class Program;
