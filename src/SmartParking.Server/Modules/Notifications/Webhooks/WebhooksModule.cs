using Microsoft.Extensions.Options;
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
            .ConfigurePrimaryHttpMessageHandler(s => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectCallback = s.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateHosts ? null : PublicHostsOnly.ConnectAsync,
            });
        builder.Services.AddSingleton<WebhookChannel>();
        builder.Services.AddSingleton<INotificationChannel>(s => s.GetRequiredService<WebhookChannel>());
        builder.Services.AddEventSubscriber<WebhookForwarder>("notifications.webhooks", EventDelivery.Durable);
    }
}
