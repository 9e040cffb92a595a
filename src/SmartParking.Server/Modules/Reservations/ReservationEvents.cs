using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>A reservation as its events carry it: enough for a subscriber to act without reading the reservations table.</summary>
public sealed record ReservationFacts(
    Guid ReservationId, Guid TenantId, Guid DriverId, Guid LotId, Guid SpaceId, string SpaceLabel, string SpaceType,
    DateTimeOffset Start, DateTimeOffset End, string Status, decimal Price, string Currency);

/// <summary>The events of one reservation, in order per reservation (its id is the aggregate).</summary>
public abstract record ReservationEvent(ReservationFacts Reservation) : IDomainEvent
{
    public string AggregateId => Reservation.ReservationId.ToString();
    public Guid? TenantId => Reservation.TenantId;
}

/// <summary>A space is held for a driver while the payment is decided.</summary>
public sealed record ReservationHeld(ReservationFacts Reservation, DateTimeOffset HoldExpiresAt) : ReservationEvent(Reservation);

/// <summary>Paid (or free) and confirmed: the space is the driver's for the window.</summary>
public sealed record ReservationConfirmed(ReservationFacts Reservation) : ReservationEvent(Reservation);

/// <summary>The window moved (an extension); the facts carry the new end.</summary>
public sealed record ReservationExtended(ReservationFacts Reservation, DateTimeOffset PreviousEnd) : ReservationEvent(Reservation);

/// <summary>Cancelled by the driver or an operator; the refund, if any, follows as a payment event.</summary>
public sealed record ReservationCancelled(ReservationFacts Reservation, decimal Fee) : ReservationEvent(Reservation);

/// <summary>A hold that was never paid ran out, and the space went back.</summary>
public sealed record ReservationExpired(ReservationFacts Reservation) : ReservationEvent(Reservation);

public sealed record ReservationCheckedIn(ReservationFacts Reservation, DateTimeOffset At) : ReservationEvent(Reservation);

public sealed record ReservationCompleted(ReservationFacts Reservation, DateTimeOffset At) : ReservationEvent(Reservation);

/// <summary>The driver never arrived; a no-show fee may have been charged.</summary>
public sealed record ReservationNoShow(ReservationFacts Reservation, decimal Fee) : ReservationEvent(Reservation);

/// <summary>Recorded once, a set time before the start (Reservations:ReminderMinutes).</summary>
public sealed record ReservationStartingSoon(ReservationFacts Reservation) : ReservationEvent(Reservation);

/// <summary>Recorded once, 15 minutes (Reservations:EndingSoonMinutes) before the end of a stay in progress or booked.</summary>
public sealed record ReservationEndingSoon(ReservationFacts Reservation) : ReservationEvent(Reservation);

/// <summary>A window a space is kept for (a held or confirmed reservation not yet over).</summary>
public sealed record ReservedWindow(Guid ReservationId, Guid SpaceId, DateTimeOffset Start, DateTimeOffset End);

/// <summary>Reservations' answer to "what is reserved", for a module rebuilding its view before following the events.</summary>
public interface IReservedWindows
{
    Task<IReadOnlyList<ReservedWindow>> LiveAsync(DateTimeOffset now, CancellationToken ct);
}
