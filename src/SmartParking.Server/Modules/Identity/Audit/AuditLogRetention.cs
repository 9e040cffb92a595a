using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Identity.Audit;

/// <summary>Audit entries older than their tenant's audit-log retention (platform entries, without a tenant, by the default).</summary>
public sealed class AuditLogRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.AuditLog.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return RetentionOutcome.Deleted(await scope.ExecuteInBatchesAsync(connection, $"""
            delete from audit_log where id in (
                select a.id from audit_log a where {RetentionScope.IsDueSql("a.tenant_id", "a.at")} order by a.at limit @batchSize)
            """, ct));
    }
}
