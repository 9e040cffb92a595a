using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// Identity's user store over the <c>users</c> table; the e-mail address is the user name. The address and the TOTP
/// secret are stored sealed (<see cref="UserFields"/>); the address is found by its blind index.
/// </summary>
public sealed class DapperUserStore(NpgsqlDataSource db, FieldProtector protector) :
    IUserEmailStore<AppUser>, IUserPasswordStore<AppUser>, IUserSecurityStampStore<AppUser>, IUserLockoutStore<AppUser>,
    IUserTwoFactorStore<AppUser>, IUserAuthenticatorKeyStore<AppUser>, IUserTwoFactorRecoveryCodeStore<AppUser>
{
    private const string Columns = "id, email, email_encrypted, normalized_email, display_name, password_hash, security_stamp, concurrency_stamp, role, tenant_id, lockout_enabled, lockout_end, access_failed_count, two_factor_enabled, authenticator_key, authenticator_key_encrypted, recovery_codes, created_at";

    public async Task<IdentityResult> CreateAsync(AppUser user, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            user.CreatedAt = DateTimeOffset.UtcNow;
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into users (id, email_encrypted, email_index, display_name, password_hash, security_stamp, concurrency_stamp, role, tenant_id,
                    lockout_enabled, lockout_end, access_failed_count, two_factor_enabled, authenticator_key_encrypted, recovery_codes, created_at)
                values (@Id, @EmailEncrypted, @EmailIndex, @DisplayName, @PasswordHash, @SecurityStamp, @ConcurrencyStamp,
                    @Role, @TenantId, @LockoutEnabled, @LockoutEnd, @AccessFailedCount, @TwoFactorEnabled, @AuthenticatorKeyEncrypted, @RecoveryCodes, @CreatedAt)
                """, Sealed(user), cancellationToken: ct));
            return IdentityResult.Success;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return IdentityResult.Failed(new IdentityErrorDescriber().DuplicateEmail(user.Email));
        }
    }

    public async Task<IdentityResult> UpdateAsync(AppUser user, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var previousStamp = user.ConcurrencyStamp;
        user.ConcurrencyStamp = Guid.NewGuid().ToString();
        var rows = await connection.ExecuteAsync(new CommandDefinition("""
            update users set email = null, normalized_email = null, email_encrypted = @EmailEncrypted, email_index = @EmailIndex, display_name = @DisplayName,
                password_hash = @PasswordHash, security_stamp = @SecurityStamp, concurrency_stamp = @ConcurrencyStamp, role = @Role, tenant_id = @TenantId,
                lockout_enabled = @LockoutEnabled, lockout_end = @LockoutEnd, access_failed_count = @AccessFailedCount,
                two_factor_enabled = @TwoFactorEnabled, authenticator_key = null, authenticator_key_encrypted = @AuthenticatorKeyEncrypted, recovery_codes = @RecoveryCodes
            where id = @Id and concurrency_stamp = @PreviousStamp
            """, Sealed(user, previousStamp), cancellationToken: ct));
        return rows == 1 ? IdentityResult.Success : IdentityResult.Failed(new IdentityErrorDescriber().ConcurrencyFailure());
    }

    private SealedUser Sealed(AppUser user, string? previousStamp = null) => new(user.Id,
        protector.Seal(user.Email, UserFields.Email), protector.BlindIndex(UserFields.NormaliseEmail(user.Email), UserFields.Email),
        user.DisplayName, user.PasswordHash, user.SecurityStamp, user.ConcurrencyStamp, user.Role, user.TenantId, user.LockoutEnabled, user.LockoutEnd,
        user.AccessFailedCount, user.TwoFactorEnabled, protector.SealOrNull(user.AuthenticatorKey, UserFields.AuthenticatorKey), user.RecoveryCodes, user.CreatedAt, previousStamp);

    private sealed record SealedUser(Guid Id, byte[] EmailEncrypted, byte[] EmailIndex, string? DisplayName, string? PasswordHash, string SecurityStamp,
        string ConcurrencyStamp, string Role, Guid? TenantId, bool LockoutEnabled, DateTimeOffset? LockoutEnd, int AccessFailedCount, bool TwoFactorEnabled,
        byte[]? AuthenticatorKeyEncrypted, string? RecoveryCodes, DateTimeOffset CreatedAt, string? PreviousStamp);

    public async Task<IdentityResult> DeleteAsync(AppUser user, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("delete from users where id = @Id", new { user.Id }, cancellationToken: ct));
        return IdentityResult.Success;
    }

    public async Task<AppUser?> FindByIdAsync(string userId, CancellationToken ct)
    {
        if (!Guid.TryParse(userId, out var id)) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        return Opened(await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition($"select {Columns} from users where id = @id", new { id }, cancellationToken: ct)));
    }

    public async Task<AppUser?> FindByEmailAsync(string normalizedEmail, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // By the blind index; the clear column finds a row the encryption sweep has not reached yet.
        return Opened(await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"select {Columns} from users where email_index = @index or normalized_email = @normalizedEmail",
            new { index = protector.BlindIndex(normalizedEmail, UserFields.Email), normalizedEmail }, cancellationToken: ct)));
    }

    private AppUser? Opened(UserRow? row)
    {
        if (row is null) return null;
        var email = protector.Reveal(row.EmailEncrypted, row.Email, UserFields.Email) ?? "";
        return new AppUser
        {
            Id = row.Id, Email = email, NormalizedEmail = UserFields.NormaliseEmail(email), DisplayName = row.DisplayName, PasswordHash = row.PasswordHash,
            SecurityStamp = row.SecurityStamp, ConcurrencyStamp = row.ConcurrencyStamp, Role = row.Role, TenantId = row.TenantId,
            LockoutEnabled = row.LockoutEnabled, LockoutEnd = row.LockoutEnd, AccessFailedCount = row.AccessFailedCount, TwoFactorEnabled = row.TwoFactorEnabled,
            AuthenticatorKey = protector.Reveal(row.AuthenticatorKeyEncrypted, row.AuthenticatorKey, UserFields.AuthenticatorKey),
            RecoveryCodes = row.RecoveryCodes, CreatedAt = row.CreatedAt,
        };
    }

    private sealed class UserRow
    {
        public Guid Id { get; init; }
        public string? Email { get; init; }
        public byte[]? EmailEncrypted { get; init; }
        public string? DisplayName { get; init; }
        public string? PasswordHash { get; init; }
        public string SecurityStamp { get; init; } = "";
        public string ConcurrencyStamp { get; init; } = "";
        public string Role { get; init; } = "";
        public Guid? TenantId { get; init; }
        public bool LockoutEnabled { get; init; }
        public DateTimeOffset? LockoutEnd { get; init; }
        public int AccessFailedCount { get; init; }
        public bool TwoFactorEnabled { get; init; }
        public string? AuthenticatorKey { get; init; }
        public byte[]? AuthenticatorKeyEncrypted { get; init; }
        public string? RecoveryCodes { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
    }

    public Task<AppUser?> FindByNameAsync(string normalizedUserName, CancellationToken ct) => FindByEmailAsync(normalizedUserName, ct);

    public Task<string> GetUserIdAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.Id.ToString());
    public Task<string?> GetUserNameAsync(AppUser user, CancellationToken ct) => Task.FromResult<string?>(user.Email);
    public Task SetUserNameAsync(AppUser user, string? userName, CancellationToken ct) { user.Email = userName ?? ""; return Task.CompletedTask; }
    public Task<string?> GetNormalizedUserNameAsync(AppUser user, CancellationToken ct) => Task.FromResult<string?>(user.NormalizedEmail);
    public Task SetNormalizedUserNameAsync(AppUser user, string? normalizedName, CancellationToken ct) { user.NormalizedEmail = normalizedName ?? ""; return Task.CompletedTask; }

    public Task SetEmailAsync(AppUser user, string? email, CancellationToken ct) { user.Email = email ?? ""; return Task.CompletedTask; }
    public Task<string?> GetEmailAsync(AppUser user, CancellationToken ct) => Task.FromResult<string?>(user.Email);
    // E-mail confirmation is not part of the platform yet; addresses count as confirmed.
    public Task<bool> GetEmailConfirmedAsync(AppUser user, CancellationToken ct) => Task.FromResult(true);
    public Task SetEmailConfirmedAsync(AppUser user, bool confirmed, CancellationToken ct) => Task.CompletedTask;
    public Task<string?> GetNormalizedEmailAsync(AppUser user, CancellationToken ct) => Task.FromResult<string?>(user.NormalizedEmail);
    public Task SetNormalizedEmailAsync(AppUser user, string? normalizedEmail, CancellationToken ct) { user.NormalizedEmail = normalizedEmail ?? ""; return Task.CompletedTask; }

    public Task SetPasswordHashAsync(AppUser user, string? passwordHash, CancellationToken ct) { user.PasswordHash = passwordHash; return Task.CompletedTask; }
    public Task<string?> GetPasswordHashAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.PasswordHash);
    public Task<bool> HasPasswordAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.PasswordHash is not null);

    public Task SetSecurityStampAsync(AppUser user, string stamp, CancellationToken ct) { user.SecurityStamp = stamp; return Task.CompletedTask; }
    public Task<string?> GetSecurityStampAsync(AppUser user, CancellationToken ct) => Task.FromResult<string?>(user.SecurityStamp);

    public Task<DateTimeOffset?> GetLockoutEndDateAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.LockoutEnd);
    public Task SetLockoutEndDateAsync(AppUser user, DateTimeOffset? lockoutEnd, CancellationToken ct) { user.LockoutEnd = lockoutEnd; return Task.CompletedTask; }
    public Task<int> IncrementAccessFailedCountAsync(AppUser user, CancellationToken ct) => Task.FromResult(++user.AccessFailedCount);
    public Task ResetAccessFailedCountAsync(AppUser user, CancellationToken ct) { user.AccessFailedCount = 0; return Task.CompletedTask; }
    public Task<int> GetAccessFailedCountAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.AccessFailedCount);
    public Task<bool> GetLockoutEnabledAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.LockoutEnabled);
    public Task SetLockoutEnabledAsync(AppUser user, bool enabled, CancellationToken ct) { user.LockoutEnabled = enabled; return Task.CompletedTask; }

    public Task SetTwoFactorEnabledAsync(AppUser user, bool enabled, CancellationToken ct) { user.TwoFactorEnabled = enabled; return Task.CompletedTask; }
    public Task<bool> GetTwoFactorEnabledAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.TwoFactorEnabled);

    public Task SetAuthenticatorKeyAsync(AppUser user, string key, CancellationToken ct) { user.AuthenticatorKey = key; return Task.CompletedTask; }
    public Task<string?> GetAuthenticatorKeyAsync(AppUser user, CancellationToken ct) => Task.FromResult(user.AuthenticatorKey);

    // Recovery codes are kept hashed: they are passwords in all but name.
    public Task ReplaceCodesAsync(AppUser user, IEnumerable<string> recoveryCodes, CancellationToken ct) { user.RecoveryCodes = string.Join(';', recoveryCodes.Select(HashCode)); return Task.CompletedTask; }

    public Task<bool> RedeemCodeAsync(AppUser user, string code, CancellationToken ct)
    {
        var codes = (user.RecoveryCodes ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (!codes.Remove(HashCode(code))) return Task.FromResult(false);
        user.RecoveryCodes = string.Join(';', codes);
        return Task.FromResult(true);
    }

    public Task<int> CountCodesAsync(AppUser user, CancellationToken ct) =>
        Task.FromResult((user.RecoveryCodes ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Length);

    private static string HashCode(string code) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(code.Trim())));

    public void Dispose() { }
}
