using System.Buffers.Text;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SmartParking.Server.Modules.Notifications.Push;

/// <summary>The application server's key pair, base64url as Web Push carries it.</summary>
public sealed record VapidKeyPair(string PublicKey, string PrivateKey);

/// <summary>
/// The VAPID keys: the configured pair, else one made once and kept in the database (like the data-protection key
/// ring), so every node signs with the key browsers subscribed with, across restarts.
/// </summary>
public sealed class VapidKeys(IOptions<WebPushOptions> options, NpgsqlDataSource db)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private VapidKeyPair? _keys;

    public async Task<VapidKeyPair> GetAsync(CancellationToken ct)
    {
        if (_keys is not null) return _keys;
        var o = options.Value;
        if (o.PublicKey is not null && o.PrivateKey is not null) return _keys = new VapidKeyPair(o.PublicKey, o.PrivateKey);
        await _gate.WaitAsync(ct);
        try
        {
            if (_keys is not null) return _keys;
            var made = Generate();
            await using var connection = await db.OpenConnectionAsync(ct);
            // The first node's pair wins; a node that made another at the same moment reads the winner.
            return _keys = await connection.QuerySingleAsync<VapidKeyPair>(new CommandDefinition("""
                insert into web_push_vapid_keys (id, public_key, private_key) values (1, @PublicKey, @PrivateKey) on conflict (id) do nothing;
                select public_key as PublicKey, private_key as PrivateKey from web_push_vapid_keys where id = 1
                """, made, cancellationToken: ct));
        }
        finally
        {
            _gate.Release();
        }
    }

    private static VapidKeyPair Generate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(includePrivateParameters: true);
        byte[] point = [0x04, .. p.Q.X!, .. p.Q.Y!];
        return new VapidKeyPair(Base64Url.EncodeToString(point), Base64Url.EncodeToString(p.D!));
    }
}
