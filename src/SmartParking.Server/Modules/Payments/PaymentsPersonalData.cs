using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Payments;

/// <summary>
/// A driver's saved payment methods, payments and refunds. Erasure deletes the saved methods (provider tokens); the
/// payments and refunds are bookkeeping and stay with every amount, currency, state and reference, the person only
/// behind the erased account's id, and the descriptions (which name the plate and the stay) replaced by the pseudonym.
/// </summary>
internal sealed class PaymentsPersonalData(NpgsqlDataSource db) : IPersonalDataHolder
{
    public string Area => "payments";

    public async Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // Saved methods belong to no tenant: an operator's request gets none of them.
        return
        [
            await PersonalDataTable.ReadAsync(connection, "payment_methods", """
                select id, provider, label, created_at from payment_methods where driver_id = @UserId and @Tenant::uuid is null order by created_at
                """, subject, ct),
            await PersonalDataTable.ReadAsync(connection, "payments", """
                select id, tenant_id, purpose, reference_id, amount, currency, description, state, provider, provider_reference, failure_code, failure_message,
                       created_at, updated_at
                from payments where driver_id = @UserId and (@Tenant::uuid is null or tenant_id = @Tenant) order by created_at
                """, subject, ct),
            await PersonalDataTable.ReadAsync(connection, "refunds", """
                select r.id, r.payment_id, r.amount, r.currency, r.reason, r.state, r.provider_reference, r.created_at, r.updated_at
                from refunds r join payments p on p.id = r.payment_id
                where p.driver_id = @UserId and (@Tenant::uuid is null or p.tenant_id = @Tenant) order by r.created_at
                """, subject, ct),
        ];
    }

    public async Task<bool> KnowsInTenantAsync(Guid userId, Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from payments where driver_id = @userId and tenant_id = @tenantId)", new { userId, tenantId }, cancellationToken: ct));
    }

    public Task EraseAsync(ErasureScope scope, CancellationToken ct) =>
        scope.Connection.ExecuteAsync(new CommandDefinition("""
            delete from payment_methods where driver_id = @UserId;
            update payments set description = purpose || ' (' || @Pseudonym || ')' where driver_id = @UserId;
            """, new { scope.UserId, scope.Pseudonym }, scope.Transaction, cancellationToken: ct));
}
