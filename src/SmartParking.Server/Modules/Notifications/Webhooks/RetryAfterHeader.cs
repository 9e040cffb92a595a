using System.Net.Http.Headers;

namespace SmartParking.Server.Modules.Notifications.Webhooks;

/// <summary>A provider's Retry-After, in seconds or as a date, as the wait from now.</summary>
public static class RetryAfterHeader
{
    public static TimeSpan? Wait(HttpResponseHeaders? headers, DateTimeOffset now) => headers?.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };
}
