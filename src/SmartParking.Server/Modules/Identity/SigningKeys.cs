using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// The JWT signing key: from configuration when set, otherwise generated once and stored in the
/// database so every replica signs and validates with the same key without extra setup.
/// </summary>
public sealed class SigningKeys(IOptions<AuthOptions> options, NpgsqlDataSource db)
{
    private readonly Lazy<SymmetricSecurityKey> _key = new(() => Load(options.Value, db));

    public SymmetricSecurityKey Key => _key.Value;

    private static SymmetricSecurityKey Load(AuthOptions options, NpgsqlDataSource db)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            var configured = Convert.FromBase64String(options.SigningKey);
            if (configured.Length < 32) throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes (base64).");
            return new SymmetricSecurityKey(configured) { KeyId = "configured" };
        }
        using var connection = db.OpenConnection();
        var generated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var stored = connection.ExecuteScalar<string>("""
            insert into platform_secrets (name, value) values ('jwt_signing_key', @generated)
            on conflict (name) do update set name = excluded.name
            returning value
            """, new { generated })!;
        return new SymmetricSecurityKey(Convert.FromBase64String(stored)) { KeyId = "stored" };
    }
}
