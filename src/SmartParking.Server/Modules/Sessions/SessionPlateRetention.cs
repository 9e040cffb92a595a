using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>
/// Plates on meter sessions that ended before the tenant's plate retention are pseudonymised: enforcement needs a plate
/// only while the session runs. Times, rate and amount stay, so reports and payments are unchanged.
/// </summary>
public sealed class SessionPlateRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.Plates.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var done = await scope.ExecuteInBatchesAsync(connection, $"""
            update meter_sessions set plate = {PlatePseudonyms.NewSql}, plate_encrypted = null, plate_index = null
            where id in (select m.id from meter_sessions m
                         where (m.plate_encrypted is not null or {PlatePseudonyms.IsRealSql("m.plate")}) and m.status <> 'active'
                           and {RetentionScope.IsDueSql("m.tenant_id", "coalesce(m.stopped_at, m.ends_at)")}
                         limit @batchSize)
            """, ct);
        return RetentionOutcome.PseudonymisedRows(done);
    }
}
