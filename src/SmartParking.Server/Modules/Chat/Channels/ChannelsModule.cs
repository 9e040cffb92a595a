using Microsoft.Extensions.Options;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Chat.Channels;

/// <summary>Telegram and WhatsApp for the chat assistant; each is off until its settings are given.</summary>
public static class ChannelsModule
{
    public static void AddChatChannels(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelegramOptions>().BindConfiguration(TelegramOptions.Section).ValidateDataAnnotations()
            .Validate(o => !o.IsConfigured || !string.IsNullOrEmpty(o.WebhookSecret), "Chat:Telegram:WebhookSecret is required with a bot token: it is how webhook calls prove they come from Telegram.")
            .ValidateOnStart();
        builder.Services.AddOptions<WhatsAppOptions>().BindConfiguration(WhatsAppOptions.Section).ValidateDataAnnotations()
            .Validate(o => !o.IsHalfConfigured, "Chat:WhatsApp needs AccessToken, AppSecret and VerifyToken together.")
            .ValidateOnStart();
        builder.Services.AddHttpClient(TelegramChannel.HttpClientName, (sp, c) => c.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<TelegramOptions>>().Value.TimeoutSeconds));
        builder.Services.AddHttpClient(WhatsAppChannel.HttpClientName, (sp, c) => c.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<WhatsAppOptions>>().Value.TimeoutSeconds));
        builder.Services.AddSingleton<ChannelUpdates>();
        builder.Services.AddSingleton<IScheduledJob, ChannelUpdatesCleanup>();
        builder.Services.AddSingleton<TelegramChannel>();
        builder.Services.AddSingleton<WhatsAppChannel>();
        builder.Services.AddSingleton<IOutboundChannel>(sp => sp.GetRequiredService<TelegramChannel>());
        builder.Services.AddSingleton<IOutboundChannel>(sp => sp.GetRequiredService<WhatsAppChannel>());
        builder.Services.AddHostedService<TelegramWebhookRegistration>();
    }
}

/// <summary>With Chat:Telegram:PublicUrl set, tells Telegram where to send updates (and the secret to send with them) at start-up.</summary>
public sealed class TelegramWebhookRegistration(TelegramChannel telegram, IOptions<TelegramOptions> options, ILogger<TelegramWebhookRegistration> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!telegram.IsConfigured || options.Value.PublicUrl is not { Length: > 0 } url) return;
        if (await telegram.RegisterWebhookAsync(url, stoppingToken)) logger.LogInformation("Telegram webhook registered at {Url}", url);
    }
}
