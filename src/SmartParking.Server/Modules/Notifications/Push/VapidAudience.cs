using Lib.Net.Http.WebPush.Authentication;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Notifications.Push;

/// <summary>
/// RFC 8292 makes the JWT's aud the push resource's origin, port included; Lib.Net.Http.WebPush leaves the port out,
/// which only matters for a push service on a port other than its scheme's default. For those, the VAPID header is
/// signed again here with the full origin.
/// </summary>
public sealed class VapidAudience(VapidKeys keys, IOptions<WebPushOptions> options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (request.RequestUri is { IsDefaultPort: false } uri && request.Headers.Authorization?.Scheme == "vapid")
        {
            var pair = await keys.GetAsync(ct);
            using var vapid = new VapidAuthentication(pair.PublicKey, pair.PrivateKey) { Subject = options.Value.Subject };
            request.Headers.Authorization = new("vapid", vapid.GetVapidSchemeAuthenticationHeaderValueParameter(uri.GetLeftPart(UriPartial.Authority)));
        }
        return await base.SendAsync(request, ct);
    }
}
