using SmartParking.Server.Platform.Protection;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>
/// A driver's meter sessions. Erasure keeps the rows (their charges are bookkeeping) with the plate replaced by the
/// pseudonym, in the rows and in the sessions' recorded events, so no plate lookup finds them again.
/// </summary>
internal sealed class SessionsPersonalData(NpgsqlDataSource db, FieldProtector protector, EventOutbox outbox) : IPersonalDataHolder
{
    public string Area => "sessions";

    public async Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return
        [
            (await PersonalDataTable.ReadAsync(connection, "meter_sessions", """
                select id, tenant_id, lot_id, zone_id, plate, plate_encrypted, started_at, ends_at, stopped_at, status, rate_per_hour, currency, max_stay_minutes, amount, created_at
                from meter_sessions where driver_id = @UserId and (@Tenant::uuid is null or tenant_id = @Tenant) order by started_at
                """, subject, ct)).Opened("plate", "plate_encrypted", b => protector.Open(b, SessionFields.Plate)),
        ];
    }

    public async Task<bool> KnowsInTenantAsync(Guid userId, Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from meter_sessions where driver_id = @userId and tenant_id = @tenantId)", new { userId, tenantId }, cancellationToken: ct));
    }

    public async Task EraseAsync(ErasureScope scope, CancellationToken ct)
    {
        var (connection, tx) = (scope.Connection, scope.Transaction);
        var sessions = (await connection.QueryAsync<(Guid Id, string? Plate, byte[]? PlateEncrypted)>(new CommandDefinition(
            "select id, plate, plate_encrypted from meter_sessions where driver_id = @UserId for update", new { scope.UserId }, tx, cancellationToken: ct)))
            .Select(s => (s.Id, Plate: protector.Reveal(s.PlateEncrypted, s.Plate, SessionFields.Plate)))
            .Where(s => s.Plate is not null).ToList();
        // A plate pseudonym, so that it stays in clear and is never taken for a plate (see PlatePseudonyms).
        var pseudonym = PlatePseudonyms.Prefix + scope.Pseudonym;
        foreach (var (plate, ids) in sessions.GroupBy(s => s.Plate!, s => s.Id.ToString()).Select(g => (g.Key, g.ToList())))
            await outbox.RedactAsync(connection, tx, ids, plate, pseudonym, ct);
        await connection.ExecuteAsync(new CommandDefinition("update meter_sessions set plate = @pseudonym, plate_encrypted = null, plate_index = null where driver_id = @UserId",
            new { scope.UserId, pseudonym }, tx, cancellationToken: ct));
    }
}
