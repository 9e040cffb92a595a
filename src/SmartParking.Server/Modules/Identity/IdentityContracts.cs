using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Identity;

/// <summary>How other modules reach an account's contact details without reading the users table.</summary>
public interface IAccountContacts
{
    /// <summary>The e-mail address of each account given that exists; unknown ids are left out.</summary>
    Task<IReadOnlyDictionary<Guid, string>> EmailsOfAsync(IReadOnlyCollection<Guid> userIds, CancellationToken ct);

    /// <summary>The e-mail addresses of the tenant's operator accounts, for what goes to the whole team (daily reports).</summary>
    Task<IReadOnlyList<string>> OperatorEmailsAsync(Guid tenantId, CancellationToken ct);
}

/// <summary>An account as the privacy rules see it: who, in which role, and when it was last used.</summary>
public sealed record AccountFacts(Guid Id, string Email, string Role, Guid? TenantId, DateTimeOffset LastActiveAt);

/// <summary>Finding accounts for data-subject requests and the inactive-account rule; erased accounts are never found.</summary>
public interface IAccountDirectory
{
    Task<AccountFacts?> FindAsync(Guid userId, CancellationToken ct);

    /// <summary>By e-mail address, compared as sign-in compares it.</summary>
    Task<AccountFacts?> FindByEmailAsync(string email, CancellationToken ct);

    /// <summary>Driver accounts not used since <paramref name="activeBefore"/>, the longest unused first.</summary>
    Task<IReadOnlyList<AccountFacts>> DriversInactiveSinceAsync(DateTimeOffset activeBefore, int limit, CancellationToken ct);
}

internal sealed class AccountContacts(NpgsqlDataSource db, FieldProtector protector) : IAccountContacts
{
    public async Task<IReadOnlyDictionary<Guid, string>> EmailsOfAsync(IReadOnlyCollection<Guid> userIds, CancellationToken ct)
    {
        if (userIds.Count == 0) return new Dictionary<Guid, string>();
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid Id, string? Email, byte[]? EmailEncrypted)>(new CommandDefinition(
            "select id, email, email_encrypted from users where id = any(@ids)", new { ids = userIds.ToArray() }, cancellationToken: ct)))
            .ToDictionary(r => r.Id, r => protector.Reveal(r.EmailEncrypted, r.Email, UserFields.Email) ?? "");
    }

    public async Task<IReadOnlyList<string>> OperatorEmailsAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var sealedEmails = await connection.QueryAsync<(string? Email, byte[]? EmailEncrypted)>(new CommandDefinition(
            "select email, email_encrypted from users where tenant_id = @tenantId and role = 'operator'", new { tenantId }, cancellationToken: ct));
        return sealedEmails.Select(r => protector.Reveal(r.EmailEncrypted, r.Email, UserFields.Email) ?? "").Order(StringComparer.OrdinalIgnoreCase).ToList();
    }
}

internal sealed class AccountDirectory(NpgsqlDataSource db, FieldProtector protector) : IAccountDirectory
{
    // Erased accounts keep their row (bookkeeping refers to it), marked erased.
    private const string Columns = "select id, email, email_encrypted, role, tenant_id, last_active_at from users";
    private const string NotErased = "erased_at is null";

    private sealed record Row(Guid Id, string? Email, byte[]? EmailEncrypted, string Role, Guid? TenantId, DateTimeOffset LastActiveAt)
    {
        public AccountFacts Facts(FieldProtector protector) => new(Id, protector.Reveal(EmailEncrypted, Email, UserFields.Email) ?? "", Role, TenantId, LastActiveAt);
    }

    public async Task<AccountFacts?> FindAsync(Guid userId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"{Columns} where id = @userId and {NotErased}", new { userId }, cancellationToken: ct)))?.Facts(protector);
    }

    public async Task<AccountFacts?> FindByEmailAsync(string email, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var normalized = UserFields.NormaliseEmail(email.Trim());
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"{Columns} where (email_index = @index or normalized_email = @normalized) and {NotErased}",
            new { normalized, index = protector.BlindIndex(normalized, UserFields.Email) }, cancellationToken: ct)))?.Facts(protector);
    }

    public async Task<IReadOnlyList<AccountFacts>> DriversInactiveSinceAsync(DateTimeOffset activeBefore, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Row>(new CommandDefinition(
            $"{Columns} where role = 'driver' and last_active_at < @activeBefore and {NotErased} order by last_active_at, id limit @limit",
            new { activeBefore, limit }, cancellationToken: ct))).Select(r => r.Facts(protector)).ToList();
    }
}
