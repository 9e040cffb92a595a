using SmartParking.Server.Modules.Admin;
using SmartParking.Server.Modules.Analytics;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Chat;
using SmartParking.Server.Modules.Chat.Nlu;
using SmartParking.Server.Modules.Demo;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Alerts;
using SmartParking.Server.Modules.Notifications.Push;
using SmartParking.Server.Modules.Notifications.Slack;
using SmartParking.Server.Modules.Notifications.Webhooks;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Modules.Web;
using SmartParking.Server.Platform;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Hosting;

// Offline commands that need no host and no database.
if (args is [ForecastBacktestCommand.Name, .. var backtestArgs])
    return ForecastBacktestCommand.Run(backtestArgs, Console.Out, Console.Error);
if (args is [NluEvaluateCommand.Name, .. var evaluateArgs])
    return NluEvaluateCommand.Run(evaluateArgs, Console.Out, Console.Error);

// The import command's file is not a setting for the host.
var hostArgs = args is [ReadingArchive.ImportCommand, _, .. var rest] ? rest : args;
WebApplication app;
IConfiguration configuration = new ConfigurationManager();
try
{
    var builder = WebApplication.CreateBuilder(hostArgs);
    configuration = builder.Configuration;
    await builder.AddPlatformAsync();
    builder.AddIdentityModule();
    builder.AddLotsModule();
    builder.AddSensorsModule();
    builder.AddAvailabilityModule();
    builder.AddPricingModule();
    builder.AddReservationsModule();
    builder.AddSessionsModule();
    builder.AddPaymentsModule();
    builder.AddAnalyticsModule();
    builder.AddWebPush();
    builder.AddSlackChannel();
    builder.AddOutgoingWebhooks();
    builder.AddNotificationsModule();
    builder.AddOperatorAlerts();
    builder.AddChatModule();
    builder.AddDemoModule();
    builder.AddAdminModule();
    builder.AddWebModule();
    app = builder.Build();
}
catch (Exception e) when (OwnProcess() && StartupErrors.Describe(e, configuration) is { } problem)
{
    return await StartupStoppedAsync(problem);
}

var embeddedPostgres = app.Services.GetService<LocalPostgres>();
try
{
    if (args.Contains("migrate"))
    {
        await app.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
        return 0;
    }
    if (args is [ReadingArchive.ImportCommand, var archiveFile, ..])
    {
        await app.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
        return await ReadingArchive.RunImportCommandAsync(app.Services, archiveFile, Console.Out, Console.Error);
    }

    app.UsePlatform();
    // A role's endpoints only: what it does not serve is not mapped (404), so a misrouted request shows at once.
    var role = app.Services.GetRequiredService<NodeRole>();
    if (role.Runs(NodeParts.Api))
    {
        app.MapIdentityEndpoints();
        app.MapLotsEndpoints(app.Configuration);
        app.MapSensorsEndpoints(app.Configuration);
        app.MapAvailabilityModule();
        app.MapPricingEndpoints();
        app.MapReservationsEndpoints();
        app.MapSessionsEndpoints();
        app.MapPaymentsEndpoints();
        app.MapAnalyticsEndpoints();
        app.MapWebPushEndpoints();
        app.MapWebhookEndpoints();
        app.MapNotificationsEndpoints();
        app.MapOperatorAlertEndpoints();
        app.MapChatEndpoints();
        app.MapAdminEndpoints();
        app.MapWebEndpoints();
    }
    if (role.Runs(NodeParts.Ingest)) app.MapSensorIngestEndpoints();
    try
    {
        await app.StartAsync();
    }
    catch when (app.Services.GetRequiredService<StartupProgress>().ServicesStarting)
    {
        // A failure at Kestrel's bind comes after the hosted services started (jobs, dispatch): they stop before the host
        // is disposed, or they would go on against disposed services.
        await app.StopAsync(CancellationToken.None);
        throw;
    }
    await app.WaitForShutdownAsync();
    return 0;
}
catch (MigrationException e)
{
    app.Logger.LogCritical("Start-up stopped: {Message}", e.Message);
    return 3;
}
catch (Exception e) when (!app.Services.GetRequiredService<StartupProgress>().Started && OwnProcess() && StartupErrors.Describe(e, configuration) is { } problem)
{
    return await StartupStoppedAsync(problem);
}
finally
{
    await app.DisposeAsync();
    // The embedded cluster is stopped with the host; this covers start-up failures and the migrate command.
    if (embeddedPostgres is not null) await embeddedPostgres.StopAsync(CancellationToken.None);
}

// Hosted by another program (WebApplicationFactory in the tests), the exception goes to that host as it is.
static bool OwnProcess() => System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly;

// One line an operator can act on, and an exit code a supervisor sees as failure; never a stack trace.
static async Task<int> StartupStoppedAsync(string problem)
{
    await Console.Error.WriteLineAsync("Start-up stopped: " + problem);
    return 2;
}

public partial class Program;
