using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace SmartParking.Server.Modules.Sensors.Registry;

public sealed record DeviceIdentity(Guid SensorId, Guid TenantId, string Serial, Guid? SpaceId, Guid? LotId);

/// <summary>
/// Per-sensor secrets. They are 256-bit random values, so a single SHA-256 is enough to store them
/// (no slow password hash needed) and verification stays cheap on the ingest path.
/// </summary>
public sealed class DeviceCredentials(NpgsqlDataSource db)
{
    public static string NewSecret() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>The sensor the serial and secret belong to, or null when either is wrong.</summary>
    public async Task<DeviceIdentity?> VerifyAsync(string serial, string secret, CancellationToken ct)
    {
        if (serial.Length is 0 or > 200 || secret.Length is 0 or > 200) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CredentialRow>(new CommandDefinition(
            "select id, tenant_id, serial, space_id, lot_id, secret_hash from sensors where serial = @serial", new { serial }, cancellationToken: ct));
        if (row is null) return null;
        return CryptographicOperations.FixedTimeEquals(row.SecretHash, Hash(secret))
            ? new DeviceIdentity(row.Id, row.TenantId, row.Serial, row.SpaceId, row.LotId)
            : null;
    }

    private sealed class CredentialRow
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Serial { get; init; } = "";
        public Guid? SpaceId { get; init; }
        public Guid? LotId { get; init; }
        public byte[] SecretHash { get; init; } = [];
    }
}
