using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Notifications.Push;

public sealed record VapidPublicKey(string PublicKey);

public sealed record PushTestResult(DeliveryOutcome Outcome, string? Error);

/// <summary>Web Push: the channel, drivers' subscriptions and the key browsers subscribe with.</summary>
public static class PushModule
{
    public static void AddWebPush(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebPushOptions>().Bind(builder.Configuration.GetSection(WebPushOptions.Section))
            .Validate(o => WebPushOptions.SubjectIsValid(o.Subject), "Notifications:WebPush:Subject must be a mailto: or https: URI.")
            .Validate(o => o.KeysAreValid(), "Notifications:WebPush:PublicKey and PrivateKey must both be given, base64url, of 65 and 32 bytes.")
            .Validate(o => o.TimeToLiveSeconds is >= 0 and <= 28 * 24 * 3600, "Notifications:WebPush:TimeToLiveSeconds must be between 0 and 28 days.")
            .ValidateOnStart();
        builder.Services.AddSingleton<VapidKeys>();
        builder.Services.AddSingleton<PushSubscriptions>();
        builder.Services.AddTransient<VapidAudience>();
        builder.Services.AddHttpClient(WebPushChannel.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30)).AddHttpMessageHandler<VapidAudience>();
        builder.Services.AddSingleton<WebPushChannel>();
        builder.Services.AddSingleton<INotificationChannel>(s => s.GetRequiredService<WebPushChannel>());
        builder.Services.AddSingleton<IWebPushDevices, WebPushDevices>();
    }

    public static void MapWebPushEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/notifications/web-push/public-key", PublicKey).WithTags("Notifications").AllowAnonymous();
        var me = app.MapGroup("/api/v1/me/push-subscriptions").WithTags("Notifications").RequireAuthorization(Policies.Driver);
        me.MapPost("", Subscribe);
        me.MapGet("", List);
        me.MapDelete("", Unsubscribe);
        me.MapPost("/test", SendTest);
    }

    private static async Task<VapidPublicKey> PublicKey(IWebPushDevices devices, CancellationToken ct) => new(await devices.PublicKeyAsync(ct));

    private static async Task<Created<PushDevice>> Subscribe(PushSubscriptionRequest request, ClaimsPrincipal user, IWebPushDevices devices, CancellationToken ct) =>
        TypedResults.Created("/api/v1/me/push-subscriptions", await devices.SaveAsync(user.UserId(), request, ct));

    private static Task<IReadOnlyList<PushDevice>> List(ClaimsPrincipal user, IWebPushDevices devices, CancellationToken ct) =>
        devices.ListAsync(user.UserId(), ct);

    private static async Task<NoContent> Unsubscribe(string? endpoint, ClaimsPrincipal user, IWebPushDevices devices, CancellationToken ct) =>
        await devices.DeleteAsync(user.UserId(), endpoint, ct) ? TypedResults.NoContent() : throw new NotFoundException("Push subscription");

    private static async Task<PushTestResult> SendTest(ClaimsPrincipal user, IWebPushDevices devices, CancellationToken ct)
    {
        var result = await devices.SendTestAsync(user.UserId(), ct);
        return new PushTestResult(result.Outcome, result.Error);
    }
}
