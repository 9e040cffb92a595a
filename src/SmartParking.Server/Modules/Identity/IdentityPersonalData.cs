using SmartParking.Server.Platform.Protection;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Identity;

/// <summary>
/// The account, its sign-ins and the audit entries by or about it. Erasure keeps the row (bookings and payments refer
/// to it) as a tombstone: an address of the reserved .invalid domain made from the pseudonym, no name, no password or
/// second factor, locked for good, so nobody can sign in as it or find it by the old address.
/// </summary>
internal sealed class IdentityPersonalData(NpgsqlDataSource db, FieldProtector protector) : IPersonalDataHolder
{
    public const string ErasedDomain = "erased.invalid";

    public string Area => "identity";

    public async Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var args = new { subject.UserId, tenant = subject.Tenant };
        return
        [
            (await PersonalDataTable.ReadAsync(connection, "account", """
                select id, email, email_encrypted, display_name, role, tenant_id, two_factor_enabled, created_at, last_active_at from users where id = @UserId
                """, args, ct)).Opened("email", "email_encrypted", b => protector.Open(b, UserFields.Email)),
            await PersonalDataTable.ReadAsync(connection, "sign_ins", """
                select family_id, mfa, created_at, expires_at, replaced_at, revoked_at from refresh_tokens where user_id = @UserId and @tenant::uuid is null order by created_at
                """, args, ct),
            (await PersonalDataTable.ReadAsync(connection, "audit_log", """
                select at, actor_email, actor_email_encrypted, action, entity_type, entity_id, entity_id_encrypted, changes::text as changes, changes_encrypted
                from audit_log
                where (actor_id = @UserId or (entity_type = 'user' and entity_id = @UserId::text)) and (@tenant::uuid is null or tenant_id = @tenant)
                order by id
                """, args, ct))
                .Opened("actor_email", "actor_email_encrypted", b => protector.Open(b, AuditFields.ActorEmail))
                .Opened("entity_id", "entity_id_encrypted", b => protector.Open(b, AuditFields.EntityId))
                .Opened("changes", "changes_encrypted", b => protector.Open(b, AuditFields.Changes)),
        ];
    }

    public async Task EraseAsync(ErasureScope scope, CancellationToken ct)
    {
        var (connection, tx) = (scope.Connection, scope.Transaction);
        var row = await connection.QuerySingleAsync<(string? Email, byte[]? EmailEncrypted)>(new CommandDefinition(
            "select email, email_encrypted from users where id = @UserId for update", new { scope.UserId }, tx, cancellationToken: ct));
        var email = protector.Reveal(row.EmailEncrypted, row.Email, UserFields.Email) ?? "";
        var tombstone = $"{scope.Pseudonym}@{ErasedDomain}";
        await connection.ExecuteAsync(new CommandDefinition("""
            update users set email = null, normalized_email = null, email_encrypted = @sealedTombstone, email_index = @tombstoneIndex,
                display_name = null, password_hash = null, security_stamp = @stamp, concurrency_stamp = @stamp, two_factor_enabled = false,
                authenticator_key = null, authenticator_key_encrypted = null, recovery_codes = null,
                totp_last_step = null, lockout_enabled = true, lockout_end = 'infinity', access_failed_count = 0, erased_at = @Now
            where id = @UserId;
            delete from refresh_tokens where user_id = @UserId;
            update audit_log set actor_email = null, actor_email_encrypted = @sealedActor, actor_email_index = @actorIndex where actor_id = @UserId;
            update audit_log set changes = replace(changes::text, @email, @tombstone)::jsonb where strpos(lower(changes::text), lower(@email)) > 0;
            """, new
        {
            scope.UserId, scope.Now, tombstone, email, stamp = Guid.NewGuid().ToString(),
            sealedTombstone = protector.Seal(tombstone, UserFields.Email),
            tombstoneIndex = protector.BlindIndex(UserFields.NormaliseEmail(tombstone), UserFields.Email),
            sealedActor = protector.Seal(tombstone, AuditFields.ActorEmail),
            actorIndex = AuditFields.ActorIndex(protector, tombstone),
        }, tx, cancellationToken: ct));
        if (email.Length > 0) await ReplaceInSealedChangesAsync(scope, email, tombstone, ct);
    }

    /// <summary>
    /// Sealed changes cannot be searched in SQL: they are opened (only the actions that name a person have them: exports,
    /// whose filters may hold the address, and staff accounts' creation), and those naming the address sealed again with
    /// it replaced.
    /// </summary>
    private async Task ReplaceInSealedChangesAsync(ErasureScope scope, string email, string tombstone, CancellationToken ct)
    {
        var (connection, tx) = (scope.Connection, scope.Transaction);
        var entries = await connection.QueryAsync<(long Id, byte[] Changes)>(new CommandDefinition("""
            select id, changes_encrypted from audit_log where changes_encrypted is not null for update
            """, transaction: tx, cancellationToken: ct));
        var rewritten = entries.Select(e => (e.Id, Sealed: protector.SealedReplacing(e.Changes, AuditFields.Changes, email, tombstone, StringComparison.OrdinalIgnoreCase)))
            .Where(e => e.Sealed is not null).ToList();
        if (rewritten.Count == 0) return;
        await connection.ExecuteAsync(new CommandDefinition(
            "update audit_log a set changes_encrypted = u.changes from unnest(@ids, @changes) as u(id, changes) where a.id = u.id",
            new { ids = rewritten.Select(r => r.Id).ToArray(), changes = rewritten.Select(r => r.Sealed).ToArray() }, tx, cancellationToken: ct));
    }
}
