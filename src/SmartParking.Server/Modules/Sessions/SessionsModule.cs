using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Sessions;

public static class SessionsModule
{
    public static void AddSessionsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SessionService>();
        builder.Services.AddSingleton<IScheduledJob, SessionJobs>();
    }
}
