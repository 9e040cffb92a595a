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
}

internal sealed class DriverReservations(ReservationService reservations) : IDriverReservations
{
    public async Task<DriverReservation> FindOwnAsync(Guid driverId, Guid reservationId, CancellationToken ct) =>
        Of(await reservations.FindOwnAsync(driverId, reservationId, ct));

    public async Task<DriverReservation> ExtendAsync(Guid driverId, Guid reservationId, DateTimeOffset newEnd, CancellationToken ct) =>
        Of(await reservations.ExtendAsync(driverId, reservationId, new ExtensionRequest(newEnd), ct));

    private static DriverReservation Of(ReservationRow r) => new(r.Id, r.LotId, r.SpaceLabel, r.Start, r.End, r.Status);
}
