using System.Buffers.Text;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Notifications.Push;

/// <summary>A device as the channel sends to it.</summary>
public sealed record PushTarget(Guid Id, string Endpoint, string P256dh, string Auth);

/// <summary>Drivers' Web Push subscriptions, one per browser (a driver may have several devices).</summary>
public sealed class PushSubscriptions(NpgsqlDataSource db, IOptions<WebPushOptions> options, TimeProvider time)
{
    /// <summary>A driver's devices beyond this many drop the oldest: browsers re-subscribe freely, and rows must not pile up.</summary>
    public const int MaxDevicesPerDriver = 20;

    private const int P256PointLength = 65;
    private const int AuthSecretLength = 16;

    public async Task<PushDevice> SaveAsync(Guid driverId, PushSubscriptionRequest request, CancellationToken ct)
    {
        var (endpoint, p256dh, auth) = Validate(request);
        await using var connection = await db.OpenConnectionAsync(ct);
        var created = await connection.QuerySingleAsync<DateTime>(new CommandDefinition("""
            insert into push_subscriptions (id, driver_id, endpoint, p256dh, auth, created_at) values (@id, @driverId, @endpoint, @p256dh, @auth, @now)
            on conflict (endpoint) do update set driver_id = excluded.driver_id, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at;
            delete from push_subscriptions where driver_id = @driverId and id not in
                (select id from push_subscriptions where driver_id = @driverId order by created_at desc limit @max);
            select created_at from push_subscriptions where endpoint = @endpoint
            """, new { id = Guid.CreateVersion7(), driverId, endpoint, p256dh, auth, now = time.GetUtcNow(), max = MaxDevicesPerDriver }, cancellationToken: ct));
        return new PushDevice(endpoint, new DateTimeOffset(created, TimeSpan.Zero));
    }

    /// <summary>False when the endpoint is not one of the driver's devices.</summary>
    public async Task<bool> DeleteAsync(Guid driverId, string? endpoint, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(endpoint)) throw new ValidationException("endpoint", "is required.");
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("delete from push_subscriptions where driver_id = @driverId and endpoint = @endpoint",
            new { driverId, endpoint = endpoint.Trim() }, cancellationToken: ct)) > 0;
    }

    public async Task<IReadOnlyList<PushDevice>> ListAsync(Guid driverId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Endpoint, DateTime CreatedAt)>(new CommandDefinition(
            "select endpoint, created_at from push_subscriptions where driver_id = @driverId order by created_at desc", new { driverId }, cancellationToken: ct));
        return rows.Select(r => new PushDevice(r.Endpoint, new DateTimeOffset(r.CreatedAt, TimeSpan.Zero))).ToList();
    }

    /// <summary>The driver's devices that have not yet taken this message, and how many devices the driver has in all.</summary>
    internal async Task<(IReadOnlyList<PushTarget> Pending, int Total)> ForDeliveryAsync(Guid driverId, Guid messageId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(Guid Id, string Endpoint, string P256dh, string Auth, bool Delivered)>(new CommandDefinition("""
            select s.id, s.endpoint, s.p256dh, s.auth, exists (select 1 from push_deliveries d where d.message_id = @messageId and d.subscription_id = s.id)
            from push_subscriptions s where s.driver_id = @driverId
            """, new { driverId, messageId }, cancellationToken: ct))).ToList();
        return (rows.Where(r => !r.Delivered).Select(r => new PushTarget(r.Id, r.Endpoint, r.P256dh, r.Auth)).ToList(), rows.Count);
    }

    /// <summary>Marks a device as having taken a message; deliveries older than a retry can be are forgotten on the way.</summary>
    internal async Task RecordDeliveryAsync(Guid messageId, Guid subscriptionId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var now = time.GetUtcNow();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into push_deliveries (message_id, subscription_id, sent_at) values (@messageId, @subscriptionId, @now) on conflict do nothing;
            delete from push_deliveries where sent_at < @forgetBefore
            """, new { messageId, subscriptionId, now, forgetBefore = now.AddDays(-7) }, cancellationToken: ct));
    }

    /// <summary>The push service said the subscription is gone (404/410): the browser unsubscribed or expired it.</summary>
    internal async Task ForgetAsync(Guid subscriptionId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("delete from push_subscriptions where id = @subscriptionId", new { subscriptionId }, cancellationToken: ct));
    }

    private (string Endpoint, string P256dh, string Auth) Validate(PushSubscriptionRequest request)
    {
        var v = new Validation();
        string? endpoint = null;
        try
        {
            // Push services are public hosts on https; a local one is allowed only for tests.
            var insecure = options.Value.AllowInsecureEndpoints;
            endpoint = ContactAddresses.WebhookUrl(request.Endpoint, "endpoint", allowInsecure: insecure, allowPrivateHosts: insecure).AbsoluteUri;
        }
        catch (ValidationException e)
        {
            foreach (var (field, messages) in e.Errors)
                foreach (var message in messages) v.Add(field, message);
        }
        var p256dh = request.Keys?.P256dh?.Trim();
        var point = Decode(p256dh);
        v.Check(point is { Length: P256PointLength } && IsCurvePoint(point), "keys.p256dh",
            "must be the browser's P-256 public key: 65 bytes (uncompressed point), base64url.");
        var auth = request.Keys?.Auth?.Trim();
        v.Check(Decode(auth) is { Length: AuthSecretLength }, "keys.auth", "must be the browser's 16-byte authentication secret, base64url.");
        v.ThrowIfInvalid();
        return (endpoint!, p256dh!, auth!);
    }

    private static byte[]? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 200 || !Base64Url.IsValid(value)) return null;
        return Base64Url.DecodeFromChars(value);
    }

    private static bool IsCurvePoint(byte[] point)
    {
        if (point[0] != 0x04) return false;
        try
        {
            using var key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..] } });
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
