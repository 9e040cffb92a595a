using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Reservations.Booking;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>A driver's reservation as other modules see it: where and when.</summary>
public sealed record DriverReservation(Guid Id, Guid LotId, string SpaceLabel, DateTimeOffset Start, DateTimeOffset End, string Status);

/// <summary>
/// What other modules may do with a driver's own reservation (the notifications' one-tap extension): read it, and move
/// its end later with the same checks and charge as the API's extension. Refusals are the same exceptions the API
/// answers with (validation, conflict, payment failed, not found).
/// </summary>
public interface IDriverReservations
{
    Task<DriverReservation> FindOwnAsync(Guid driverId, Guid reservationId, CancellationToken ct);

    Task<DriverReservation> ExtendAsync(Guid driverId, Guid reservationId, DateTimeOffset newEnd, CancellationToken ct);

    /// <summary>
    /// Ends every open reservation of the driver as the driver would (account erasure): held and confirmed ones are
    /// cancelled under the lot's rules (refunds included), a checked-in one is checked out. Answers how many it ended.
    /// </summary>
    Task<int> EndOpenAsync(Guid driverId, CancellationToken ct);
}

internal sealed class DriverReservations(ReservationService reservations, NpgsqlDataSource db) : IDriverReservations
{
    public async Task<DriverReservation> FindOwnAsync(Guid driverId, Guid reservationId, CancellationToken ct) =>
        Of(await reservations.FindOwnAsync(driverId, reservationId, ct));

    public async Task<DriverReservation> ExtendAsync(Guid driverId, Guid reservationId, DateTimeOffset newEnd, CancellationToken ct) =>
        Of(await reservations.ExtendAsync(driverId, reservationId, new ExtensionRequest(newEnd), ct));

    public async Task<int> EndOpenAsync(Guid driverId, CancellationToken ct)
    {
        List<(Guid Id, string Status)> open;
        await using (var connection = await db.OpenConnectionAsync(ct))
            open = (await connection.QueryAsync<(Guid, string)>(new CommandDefinition(
                "select id, status from reservations where driver_id = @driverId and status in ('held', 'confirmed', 'checked_in') order by created_at",
                new { driverId }, cancellationToken: ct))).AsList();
        foreach (var (id, status) in open)
        {
            if (status == ReservationStatus.CheckedIn) await reservations.CheckOutAsync(driverId, id, ct);
            else await reservations.CancelAsync(driverId, id, ct);
        }
        return open.Count;
    }

    private static DriverReservation Of(ReservationRow r) => new(r.Id, r.LotId, r.SpaceLabel, r.Start, r.End, r.Status);
}
