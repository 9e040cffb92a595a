namespace SmartParking.Server.Modules.Notifications.Slack;

public static class SlackModule
{
    public static void AddSlackChannel(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(SlackChannel.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton<SlackChannel>();
        builder.Services.AddSingleton<INotificationChannel>(s => s.GetRequiredService<SlackChannel>());
    }
}
