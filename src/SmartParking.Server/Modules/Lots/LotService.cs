using System.Data;
using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots.Lots;

namespace SmartParking.Server.Modules.Lots;

/// <summary>
/// Lot reads and writes in the caller's tenant, for the REST endpoints and the dashboard alike: another tenant's lot is
/// "not found" to an operator, and every write is audited in the same transaction.
/// </summary>
public sealed class LotService(NpgsqlDataSource db, AuditLog audit)
{
    public async Task<LotResponse> GetAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await LotEndpoints.FindAsync(connection, id, principal.TenantScope(), ct)).ToResponse();
    }

    public async Task<LotResponse> CreateAsync(ClaimsPrincipal principal, LotRequest request, CancellationToken ct)
    {
        LotStore.Validate(request);
        var tenantId = principal.TenantForWrite(request.TenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var id = await LotStore.InsertAsync(audit, connection, tx, principal, tenantId, request, ct);
        await tx.CommitAsync(ct);
        return (await LotEndpoints.FindAsync(connection, id, tenantId, ct)).ToResponse();
    }

    /// <summary>Adds a lot in the caller's transaction, unvalidated and audited as the system: for seeding a whole city in one (the demo).</summary>
    public static Task<Guid> InsertSeedAsync(AuditLog audit, IDbConnection connection, IDbTransaction tx, Guid tenantId, LotRequest request, CancellationToken ct) =>
        LotStore.InsertAsync(audit, connection, tx, null, tenantId, request, ct);

    public async Task<LotResponse> UpdateAsync(ClaimsPrincipal principal, Guid id, LotRequest request, CancellationToken ct)
    {
        LotStore.Validate(request);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var existing = await LotEndpoints.FindAsync(connection, id, principal.TenantScope(), ct, tx, forUpdate: true);
        await LotStore.UpdateAsync(audit, connection, tx, principal, existing.TenantId, id, request, ct);
        await tx.CommitAsync(ct);
        return (await LotEndpoints.FindAsync(connection, id, existing.TenantId, ct)).ToResponse();
    }

    public async Task DeleteAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var existing = await LotEndpoints.FindAsync(connection, id, principal.TenantScope(), ct, tx, forUpdate: true);
        await connection.ExecuteAsync(new CommandDefinition("delete from lots where id = @id", new { id }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, existing.TenantId, "lot.deleted", "lot", id, new { existing.Name }, ct);
        await tx.CommitAsync(ct);
    }
}
