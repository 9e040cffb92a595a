using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Notifications.Webhooks;

public static class WebhooksModule
{
    public static void AddOutgoingWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().Bind(builder.Configuration.GetSection(WebhookOptions.Section));
        builder.Services.AddSingleton<WebhookSubscriptions>();
        // Redirects are not followed: the signature is for the registered URL, and a redirect could aim at the platform's own network.
        builder.Services.AddHttpClient(WebhookChannel.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddSingleton<WebhookChannel>();
        builder.Services.AddSingleton<INotificationChannel>(s => s.GetRequiredService<WebhookChannel>());
        // Made by a factory, so the host builds whether or not the Notifications queue is registered before this module;
        // without one, the forwarder fails (and its events are retried) when it first runs.
        builder.Services.AddScoped(s => ActivatorUtilities.CreateInstance<WebhookForwarder>(s));
        builder.Services.AddEventSubscriber<WebhookForwarder>("notifications.webhooks", EventDelivery.Durable);
    }
}
