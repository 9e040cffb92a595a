using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>
/// Plates on reservations that ended before the tenant's plate retention are pseudonymised: enforcement needs a plate
/// only while the stay lasts. Price, times, space and status stay, so reports and payments are unchanged.
/// </summary>
public sealed class ReservationPlateRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.Plates.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var done = await scope.ExecuteInBatchesAsync(connection, $"""
            update reservations set plate = {PlatePseudonyms.NewSql}, plate_encrypted = null, plate_index = null
            where id in (select r.id from reservations r
                         where (r.plate_encrypted is not null or {PlatePseudonyms.IsRealSql("r.plate")}) and r.status not in ('held', 'confirmed', 'checked_in')
                           and {RetentionScope.IsDueSql("r.tenant_id", "upper(r.during)")}
                         limit @batchSize)
            """, ct);
        return RetentionOutcome.PseudonymisedRows(done);
    }
}
