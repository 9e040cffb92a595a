using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Notifications.Push;

public sealed class WebPushDevices(PushSubscriptions subscriptions, VapidKeys keys, WebPushChannel channel) : IWebPushDevices
{
    public bool IsEnabled => channel.IsConfigured;

    public async Task<string> PublicKeyAsync(CancellationToken ct)
    {
        ThrowIfOff();
        return (await keys.GetAsync(ct)).PublicKey;
    }

    public Task<PushDevice> SaveAsync(Guid driverId, PushSubscriptionRequest subscription, CancellationToken ct)
    {
        ThrowIfOff();
        return subscriptions.SaveAsync(driverId, subscription, ct);
    }

    public Task<bool> DeleteAsync(Guid driverId, string? endpoint, CancellationToken ct) => subscriptions.DeleteAsync(driverId, endpoint, ct);

    public Task<IReadOnlyList<PushDevice>> ListAsync(Guid driverId, CancellationToken ct) => subscriptions.ListAsync(driverId, ct);

    public async Task<ChannelResult> SendTestAsync(Guid driverId, CancellationToken ct)
    {
        ThrowIfOff();
        var message = new OutgoingMessage(Guid.CreateVersion7(), driverId.ToString(), "SmartParking", "Notifications are on for this device.", null, "/me");
        return (await channel.SendAsync([message], ct))[0];
    }

    private void ThrowIfOff()
    {
        if (!IsEnabled) throw new NotFoundException("Web Push on this server");
    }
}
