using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>
/// A server whose Web Push, Slack and webhook receivers are local fakes on 127.0.0.1 (so private hosts and http are
/// allowed), with the Notifications queue replaced by one that records what is asked of it.
/// </summary>
public class ChannelsFactory : ManageFactory
{
    public FakePushService PushService { get; } = new();
    public FakeWebhookReceiver Receiver { get; } = new();
    public RecordingNotificationQueue Queue { get; } = new();

    public const int PushTtlSeconds = 3600;

    public override async Task InitializeAsync()
    {
        await PushService.StartAsync();
        await Receiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Notifications:WebPush:Subject"] = "mailto:ops@example.org";
        settings["Notifications:WebPush:AllowInsecureEndpoints"] = "true";
        settings["Notifications:WebPush:TimeToLiveSeconds"] = PushTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Notifications:Webhooks:AllowPrivateHosts"] = "true";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<INotificationQueue>(Queue));
    }

    protected override async Task OnHostStoppedAsync()
    {
        await base.OnHostStoppedAsync();
        await PushService.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    public T Channel<T>() where T : INotificationChannel => Services.GetServices<INotificationChannel>().OfType<T>().Single();
}

/// <summary>The queue as the pipeline would be asked: every request, in order.</summary>
public sealed class RecordingNotificationQueue : INotificationQueue
{
    public ConcurrentQueue<NotificationRequest> Requests { get; } = new();

    public Task QueueAsync(IReadOnlyCollection<NotificationRequest> requests, CancellationToken ct)
    {
        foreach (var request in requests) Requests.Enqueue(request);
        return Task.CompletedTask;
    }
}
