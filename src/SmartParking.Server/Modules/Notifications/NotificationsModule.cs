using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Notifications.Delivery;
using SmartParking.Server.Modules.Notifications.Drivers;
using SmartParking.Server.Modules.Notifications.Email;
using SmartParking.Server.Modules.Notifications.Sms;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Hosting;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Notifications;

public static class NotificationsModule
{
    public static void AddNotificationsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NotificationOptions>().Bind(builder.Configuration.GetSection(NotificationOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => Valid(o.Smtp) && Valid(o.Twilio), "Notifications:Smtp or Notifications:Twilio settings are out of range (see their attributes).")
            .ValidateOnStart();
        builder.Services.AddHttpClient(TwilioSmsChannel.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton<INotificationChannel, SmtpEmailChannel>();
        builder.Services.AddSingleton<INotificationChannel, TwilioSmsChannel>();
        builder.Services.AddSingleton<PreferencesStore>();
        builder.Services.AddSingleton<IPersonalDataHolder, NotificationsPersonalData>();
        builder.Services.AddProtectedColumn(new ProtectedColumn(PreferencesStore.PhoneField, "phone", "phone_encrypted"));
        builder.Services.AddNotificationFieldEncryption();
        builder.Services.AddSingleton<SenderSignal>();
        builder.Services.AddSingleton<NotificationQueue>();
        builder.Services.AddSingleton<INotificationQueue>(sp => sp.GetRequiredService<NotificationQueue>());
        builder.Services.AddSingleton<NotificationSender>();
        if (builder.NodeRole().Runs(NodeParts.Worker)) builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationSender>());
        builder.Services.AddTable<NotificationsTable>();
        builder.Services.AddSingleton<IRetentionRule, NotificationLogRetention>();
        builder.Services.AddSingleton<DriverMessages>();
        builder.Services.AddSingleton<ExtendLinks>();
        builder.Services.AddSingleton<DriverNotifications>();
        builder.Services.AddEventSubscriber<DriverNotifications>(DriverNotifications.SubscriberName, EventDelivery.Durable);
    }

    public static void MapNotificationsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapNotificationApi();
        app.MapTwilioStatusCallback();
        app.MapExtendLinks();
    }

    // Nested option objects are not covered by ValidateDataAnnotations.
    private static bool Valid(object section) =>
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(section, new System.ComponentModel.DataAnnotations.ValidationContext(section), null, validateAllProperties: true);
}
