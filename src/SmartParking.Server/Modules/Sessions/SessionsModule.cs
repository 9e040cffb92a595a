using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Observability;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Sessions;

public static class SessionsModule
{
    public static void AddSessionsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SessionService>();
        builder.Services.AddSessionFieldEncryption();
        builder.Services.AddSingleton<SessionStats>();
        builder.Services.AddSingleton<IDriverSessions, DriverSessions>();
        builder.Services.AddSingleton<IPersonalDataHolder, SessionsPersonalData>();
        builder.Services.AddTable<SessionsTable>();
        builder.Services.AddSingleton<IScheduledJob, SessionJobs>();
        builder.Services.AddSingleton<IRetentionRule, SessionPlateRetention>();
        builder.Services.AddEventSubscriber<SessionMetrics>("sessions.metrics", EventDelivery.Durable, wakes: false);
        builder.Services.AddCountGauge(SessionMetrics.Active);
    }
}
