using SmartParking.Server.Platform.Protection;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>A driver's reservations. Erasure drops the plate; the rows stay (their payments are bookkeeping).</summary>
internal sealed class ReservationsPersonalData(NpgsqlDataSource db, FieldProtector protector) : IPersonalDataHolder
{
    public string Area => "reservations";

    public async Task<IReadOnlyList<PersonalDataTable>> ExportAsync(DataSubject subject, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return
        [
            (await PersonalDataTable.ReadAsync(connection, "reservations", """
                select id, tenant_id, lot_id, space_id, space_type, plate, plate_encrypted, lower(during) as starts_at, upper(during) as ends_at, status, price, currency,
                       checked_in_at, checked_out_at, cancelled_at, no_show_fee_charged, overstay_minutes_charged, created_at, updated_at
                from reservations where driver_id = @UserId and (@Tenant::uuid is null or tenant_id = @Tenant) order by created_at
                """, subject, ct)).Opened("plate", "plate_encrypted", b => protector.Open(b, ReservationFields.Plate)),
        ];
    }

    public async Task<bool> KnowsInTenantAsync(Guid userId, Guid tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from reservations where driver_id = @userId and tenant_id = @tenantId)", new { userId, tenantId }, cancellationToken: ct));
    }

    public Task EraseAsync(ErasureScope scope, CancellationToken ct) =>
        scope.Connection.ExecuteAsync(new CommandDefinition("update reservations set plate = null, plate_encrypted = null, plate_index = null where driver_id = @UserId and (plate is not null or plate_encrypted is not null)",
            new { scope.UserId }, scope.Transaction, cancellationToken: ct));
}
