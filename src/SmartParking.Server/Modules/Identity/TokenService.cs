using System.Security.Claims;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Identity;

public sealed record TokenPair(string AccessToken, DateTimeOffset AccessTokenExpiresAt, string RefreshToken, DateTimeOffset RefreshTokenExpiresAt, string TokenType = "Bearer");

/// <summary>
/// Short-lived JWT access tokens and rotating refresh tokens. Each refresh token belongs to a family
/// (one sign-in); presenting a token that was already rotated revokes the whole family, because only
/// a thief or a replay would do that.
/// </summary>
public sealed class TokenService(NpgsqlDataSource db, SigningKeys keys, IOptions<AuthOptions> options, TimeProvider time, ILogger<TokenService> logger)
{
    public const string ReuseProblemType = "urn:smartparking:refresh-token-reuse";
    private readonly JsonWebTokenHandler _handler = new();

    public async Task<TokenPair> IssueAsync(AppUser user, bool mfa, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await IssueAsync(connection, null, user, mfa, Guid.CreateVersion7(), ct);
    }

    public async Task<TokenPair> RefreshAsync(string refreshToken, Func<Guid, Task<AppUser?>> loadUser, CancellationToken ct)
    {
        var hash = Hash(refreshToken);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<RefreshRow>(new CommandDefinition(
            "select id, user_id, family_id, mfa, expires_at, replaced_at, revoked_at from refresh_tokens where token_hash = @hash for update",
            new { hash }, tx, cancellationToken: ct));
        if (row is null) throw new UnauthorizedException("The refresh token is not valid.");
        var now = time.GetUtcNow();
        if (row.ReplacedAt is not null || row.RevokedAt is not null)
        {
            var revoked = await RevokeFamilyAsync(connection, tx, row.FamilyId, now, ct);
            await tx.CommitAsync(ct);
            logger.LogWarning("Refresh token reuse for user {UserId}; revoked {Count} tokens of family {FamilyId}", row.UserId, revoked, row.FamilyId);
            throw new UnauthorizedException("The refresh token was already used; every session from that sign-in has been ended.", ReuseProblemType);
        }
        if (row.ExpiresAt <= now) throw new UnauthorizedException("The refresh token has expired.");

        var user = await loadUser(row.UserId);
        if (user is null || (user.LockoutEnd is { } end && end > now)) throw new UnauthorizedException("The account is not available.");

        // A refresh is use of the account as much as a sign-in (the inactive-account rule counts from the last of either).
        await connection.ExecuteAsync(new CommandDefinition("""
            update refresh_tokens set replaced_at = @now where id = @Id;
            update users set last_active_at = @now where id = @UserId;
            """, new { now, row.Id, row.UserId }, tx, cancellationToken: ct));
        var pair = await IssueAsync(connection, tx, user, row.Mfa, row.FamilyId, ct);
        await tx.CommitAsync(ct);
        return pair;
    }

    /// <summary>Ends the sign-in the token belongs to. Unknown tokens are ignored so logout is idempotent.</summary>
    public async Task RevokeAsync(string refreshToken, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var family = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "select family_id from refresh_tokens where token_hash = @hash", new { hash = Hash(refreshToken) }, cancellationToken: ct));
        if (family is { } id) await RevokeFamilyAsync(connection, null, id, time.GetUtcNow(), ct);
    }

    /// <summary>Ends every sign-in of a user (role change, password reset).</summary>
    public async Task RevokeAllAsync(Guid userId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update refresh_tokens set revoked_at = @now where user_id = @userId and revoked_at is null", new { userId, now = time.GetUtcNow() }, cancellationToken: ct));
    }

    private async Task<TokenPair> IssueAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, AppUser user, bool mfa, Guid familyId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        var accessExpires = now.AddMinutes(o.AccessTokenMinutes);
        var claims = new Dictionary<string, object>
        {
            [AppClaims.Subject] = user.Id.ToString(),
            [AppClaims.Email] = user.Email,
            [AppClaims.Role] = user.Role,
            [AppClaims.Mfa] = mfa ? "true" : "false",
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (user.TenantId is { } tenant) claims[AppClaims.Tenant] = tenant.ToString();
        var access = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = o.Issuer,
            Audience = o.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = accessExpires.UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(keys.Key, SecurityAlgorithms.HmacSha256),
        });

        var refresh = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var refreshExpires = now.AddDays(o.RefreshTokenDays);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into refresh_tokens (id, user_id, family_id, token_hash, mfa, created_at, expires_at)
            values (@id, @userId, @familyId, @hash, @mfa, @now, @refreshExpires)
            """, new { id = Guid.CreateVersion7(), userId = user.Id, familyId, hash = Hash(refresh), mfa, now, refreshExpires }, tx, cancellationToken: ct));
        return new TokenPair(access, accessExpires, refresh, refreshExpires);
    }

    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = options.Value.Issuer,
        ValidAudience = options.Value.Audience,
        IssuerSigningKey = keys.Key,
        ValidateIssuerSigningKey = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        // Lifetimes are checked against the same clock that issued them (TimeProvider), not the library's own.
        LifetimeValidator = (notBefore, expires, _, parameters) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return (notBefore is null || notBefore.Value - parameters.ClockSkew <= now) && expires is { } e && now < e + parameters.ClockSkew;
        },
        NameClaimType = AppClaims.Email,
        RoleClaimType = AppClaims.Role,
    };

    private static async Task<int> RevokeFamilyAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid familyId, DateTimeOffset now, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "update refresh_tokens set revoked_at = @now where family_id = @familyId and revoked_at is null", new { familyId, now }, tx, cancellationToken: ct));

    private static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    private sealed class RefreshRow
    {
        public Guid Id { get; init; }
        public Guid UserId { get; init; }
        public Guid FamilyId { get; init; }
        public bool Mfa { get; init; }
        public DateTimeOffset ExpiresAt { get; init; }
        public DateTimeOffset? ReplacedAt { get; init; }
        public DateTimeOffset? RevokedAt { get; init; }
    }
}
