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
