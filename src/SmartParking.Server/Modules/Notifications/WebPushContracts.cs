namespace SmartParking.Server.Modules.Notifications;

/// <summary>A browser's PushSubscription as its toJSON() gives it (expirationTime and other members are ignored).</summary>
public sealed record PushSubscriptionRequest(string? Endpoint, PushSubscriptionKeys? Keys);

public sealed record PushSubscriptionKeys(string? P256dh, string? Auth);

/// <summary>One of a driver's devices, as the driver sees it.</summary>
public sealed record PushDevice(string Endpoint, DateTimeOffset CreatedAt);

/// <summary>Drivers' Web Push devices, for the API and the driver app: turning a browser on and off, and trying it.</summary>
public interface IWebPushDevices
{
    /// <summary>False when the deployment has no Web Push (Notifications:WebPush:Subject unset).</summary>
    bool IsEnabled { get; }

    /// <summary>The VAPID public key (base64url) a browser subscribes with, as applicationServerKey.</summary>
    Task<string> PublicKeyAsync(CancellationToken ct);

    /// <summary>Keeps the browser's subscription for the driver (a browser another driver had moves to this one); a bad field is a ValidationException naming it.</summary>
    Task<PushDevice> SaveAsync(Guid driverId, PushSubscriptionRequest subscription, CancellationToken ct);

    /// <summary>False when the endpoint is not one of the driver's devices.</summary>
    Task<bool> DeleteAsync(Guid driverId, string? endpoint, CancellationToken ct);

    Task<IReadOnlyList<PushDevice>> ListAsync(Guid driverId, CancellationToken ct);

    /// <summary>A test message to each of the driver's devices, sent at once (outside the queue) so the driver sees that it works.</summary>
    Task<ChannelResult> SendTestAsync(Guid driverId, CancellationToken ct);
}
