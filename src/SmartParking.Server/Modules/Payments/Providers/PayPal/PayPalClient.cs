using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SmartParking.Server.Modules.Payments.Providers.PayPal;

/// <summary>Authenticated JSON calls to PayPal's REST API; the OAuth2 client-credentials token is cached until shortly before it expires.</summary>
public sealed class PayPalClient(IHttpClientFactory http, IOptions<PaymentsOptions> options, TimeProvider time)
{
    public const string HttpClientName = "payments-paypal";

    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private (string Token, DateTimeOffset ExpiresAt)? _token;

    public sealed record Reply(HttpStatusCode Status, JsonElement Body);

    /// <summary>POSTs JSON; a 401 drops the cached token and tries once more (PayPal revokes tokens early sometimes).</summary>
    public async Task<Reply> PostAsync(string path, string json, string? requestId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await TokenAsync(ct);
            using var request = new HttpRequestMessage(HttpMethod.Post, Url(path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Prefer", "return=representation");
            if (requestId is not null) request.Headers.Add("PayPal-Request-Id", requestId);
            var reply = await SendAsync(request, ct);
            if (reply.Status == HttpStatusCode.Unauthorized && attempt == 0)
            {
                _token = null;
                continue;
            }
            if ((int)reply.Status >= 500 || reply.Status == HttpStatusCode.TooManyRequests)
                throw new TransientProviderException(ProviderNames.PayPal, $"HTTP {(int)reply.Status} {reply.Body.StringOf("name")}");
            return reply;
        }
    }

    private async Task<string> TokenAsync(CancellationToken ct)
    {
        if (_token is { } cached && cached.ExpiresAt > time.GetUtcNow()) return cached.Token;
        await _tokenLock.WaitAsync(ct);
        try
        {
            if (_token is { } again && again.ExpiresAt > time.GetUtcNow()) return again.Token;
            var o = options.Value.PayPal;
            using var request = new HttpRequestMessage(HttpMethod.Post, Url("/v1/oauth2/token"))
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.ClientId}:{o.ClientSecret}")));
            var reply = await SendAsync(request, ct);
            if (reply.Status != HttpStatusCode.OK || reply.Body.StringOf("access_token") is not { } token)
            {
                // Wrong credentials are a configuration fault, but from a payment's point of view PayPal is not usable now.
                throw new TransientProviderException(ProviderNames.PayPal, $"token request answered HTTP {(int)reply.Status}");
            }
            var lifetime = TimeSpan.FromSeconds(reply.Body.LongOf("expires_in") ?? 300);
            // Renew a minute early so a token never expires between our check and PayPal's.
            _token = (token, time.GetUtcNow() + lifetime - TimeSpan.FromSeconds(Math.Min(60, lifetime.TotalSeconds / 2)));
            return token;
        }
        finally { _tokenLock.Release(); }
    }

    private Uri Url(string path) => new(new Uri(options.Value.PayPal.BaseUrl), path);

    private async Task<Reply> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            try { return new Reply(response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone()); }
            catch (JsonException e) { throw new TransientProviderException(ProviderNames.PayPal, $"HTTP {(int)response.StatusCode} without a JSON body", e); }
        }
        catch (HttpRequestException e) { throw new TransientProviderException(ProviderNames.PayPal, "network error: " + e.Message, e); }
    }
}
