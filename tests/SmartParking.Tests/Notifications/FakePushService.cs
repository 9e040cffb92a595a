using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>
/// A push service as RFC 8030 describes it, checking what RFC 8292 (VAPID) and RFC 8291 (message encryption) ask of
/// an application server: <c>Authorization: vapid t=&lt;ES256 JWT&gt;, k=&lt;public key&gt;</c> whose signature
/// verifies with k, whose aud is the push resource's origin, whose exp is within 24 hours and which names a sub; a TTL
/// header; <c>Content-Encoding: aes128gcm</c>. It decrypts each message with the subscription's private key and
/// authentication secret, which <see cref="Subscribe"/> makes as a browser would, and keeps what arrived. A refused
/// request is answered 400/401 with the reason, which is also kept. A subscription can be told to answer 410, 429 or 5xx.
/// </summary>
public sealed class FakePushService : FakeServiceServer
{
    public sealed record Delivery(string SubscriptionId, string Payload, int Ttl, string? Urgency, string VapidPublicKey);

    /// <summary>What a browser keeps of a subscription: the private key and auth secret it decrypts with.</summary>
    public sealed class BrowserSubscription(string id, Uri endpoint)
    {
        public string Id { get; } = id;
        public Uri Endpoint { get; } = endpoint;
        public ECDiffieHellman Key { get; } = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        public byte[] AuthSecret { get; } = RandomNumberGenerator.GetBytes(16);

        /// <summary>The uncompressed P-256 point, as PushSubscription.getKey("p256dh").</summary>
        public byte[] PublicKey
        {
            get
            {
                var q = Key.ExportParameters(false).Q;
                return [0x04, .. q.X!, .. q.Y!];
            }
        }

        public string P256dh => Base64Url.EncodeToString(PublicKey);
        public string Auth => Base64Url.EncodeToString(AuthSecret);

        /// <summary>The body of PushSubscription.toJSON().</summary>
        public object Json => new { endpoint = Endpoint.ToString(), expirationTime = (object?)null, keys = new { p256dh = P256dh, auth = Auth } };
    }

    private readonly ConcurrentDictionary<string, BrowserSubscription> _subscriptions = new();
    private readonly ConcurrentDictionary<string, (int Status, string? RetryAfter)> _answers = new();

    public ConcurrentQueue<Delivery> Deliveries { get; } = new();
    public ConcurrentQueue<string> Refusals { get; } = new();

    public BrowserSubscription Subscribe()
    {
        var id = Guid.NewGuid().ToString("N");
        var subscription = new BrowserSubscription(id, new Uri(BaseUrl, "push/" + id));
        _subscriptions[id] = subscription;
        return subscription;
    }

    /// <summary>From now on, a valid message to this subscription is answered with this status (and Retry-After).</summary>
    public void Answer(BrowserSubscription subscription, int status, string? retryAfter = null) => _answers[subscription.Id] = (status, retryAfter);

    public void AnswerNormally(BrowserSubscription subscription) => _answers.TryRemove(subscription.Id, out _);

    public IReadOnlyList<Delivery> DeliveriesTo(BrowserSubscription subscription) => Deliveries.Where(d => d.SubscriptionId == subscription.Id).ToList();

    protected override void Map(WebApplication app) => app.MapPost("/push/{id}", Receive);

    private async Task<IResult> Receive(string id, HttpRequest request)
    {
        if (!_subscriptions.TryGetValue(id, out var subscription)) return Results.NotFound();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        string vapidKey;
        try
        {
            vapidKey = CheckVapid(request);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Refuse(401, "VAPID: " + e.Message);
        }
        if (!int.TryParse(request.Headers["TTL"], out var ttl) || ttl < 0) return Refuse(400, "TTL header missing or not a number");
        if (request.Headers.ContentEncoding != "aes128gcm") return Refuse(400, $"Content-Encoding is '{request.Headers.ContentEncoding}', not aes128gcm");
        if (_answers.TryGetValue(id, out var scripted))
        {
            if (scripted.RetryAfter is not null) request.HttpContext.Response.Headers.RetryAfter = scripted.RetryAfter;
            return Results.StatusCode(scripted.Status);
        }
        string payload;
        try
        {
            payload = Decrypt(subscription, body);
        }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException or ArgumentException)
        {
            return Refuse(400, "Payload does not decrypt: " + e.Message);
        }
        Deliveries.Enqueue(new Delivery(id, payload, ttl, request.Headers["Urgency"].FirstOrDefault(), vapidKey));
        return Results.Created($"/message/{Guid.NewGuid():N}", null);
    }

    private IResult Refuse(int status, string reason)
    {
        Refusals.Enqueue(reason);
        return Results.Text(reason, statusCode: status);
    }

    /// <summary>RFC 8292: checks the JWT against k and the request; answers k.</summary>
    private static string CheckVapid(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("vapid ", StringComparison.Ordinal)) throw new FormatException($"Authorization is '{header}', not the vapid scheme");
        var parameters = header["vapid ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var token = parameters["t"].Split('.');
        if (token.Length != 3) throw new FormatException("t is not a JWT");
        var key = Base64Url.DecodeFromChars(parameters["k"]);
        if (key.Length != 65 || key[0] != 0x04) throw new FormatException("k is not an uncompressed P-256 point");
        using var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = key[1..33], Y = key[33..] } });
        if (!ecdsa.VerifyData(Encoding.ASCII.GetBytes(token[0] + "." + token[1]), Base64Url.DecodeFromChars(token[2]), HashAlgorithmName.SHA256))
            throw new CryptographicException("the JWT's signature does not verify with k");
        using var jwtHeader = JsonDocument.Parse(Base64Url.DecodeFromChars(token[0]));
        if (jwtHeader.RootElement.GetProperty("alg").GetString() != "ES256") throw new FormatException("alg is not ES256");
        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(token[1]));
        var origin = $"{request.Scheme}://{request.Host}";
        var aud = claims.RootElement.GetProperty("aud").GetString();
        if (aud != origin) throw new InvalidOperationException($"aud is '{aud}', not the push resource's origin {origin}");
        var exp = DateTimeOffset.FromUnixTimeSeconds(claims.RootElement.GetProperty("exp").GetInt64());
        if (exp <= DateTimeOffset.UtcNow || exp > DateTimeOffset.UtcNow.AddHours(24)) throw new InvalidOperationException($"exp {exp:O} is not within the next 24 hours");
        if (string.IsNullOrEmpty(claims.RootElement.GetProperty("sub").GetString())) throw new InvalidOperationException("sub is empty");
        return parameters["k"];
    }

    /// <summary>RFC 8291 with RFC 8188's aes128gcm: the header carries salt, record size and the sender's public key.</summary>
    private static string Decrypt(BrowserSubscription subscription, byte[] body)
    {
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        var keyIdLength = body[20];
        var senderKey = body[21..(21 + keyIdLength)];
        var record = body[(21 + keyIdLength)..];
        if (record.Length > recordSize) throw new InvalidOperationException("more than one record");
        using var sender = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = senderKey[1..33], Y = senderKey[33..] } });
        var shared = subscription.Key.DeriveRawSecretAgreement(sender.PublicKey);
        byte[] keyInfo = [.. "WebPush: info\0"u8, .. subscription.PublicKey, .. senderKey];
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, subscription.AuthSecret, keyInfo);
        var contentKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, "Content-Encoding: aes128gcm\0"u8.ToArray());
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, "Content-Encoding: nonce\0"u8.ToArray());
        var plain = new byte[record.Length - 16];
        using (var aes = new AesGcm(contentKey, 16)) aes.Decrypt(nonce, record[..^16], record[^16..], plain);
        // The last record ends with the delimiter 0x02 and then zero padding.
        var end = Array.FindLastIndex(plain, b => b != 0);
        if (end < 0 || plain[end] != 0x02) throw new InvalidOperationException("the last record's padding delimiter is missing");
        return Encoding.UTF8.GetString(plain, 0, end);
    }
}
