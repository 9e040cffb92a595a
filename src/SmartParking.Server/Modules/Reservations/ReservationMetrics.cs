using System.Diagnostics.Metrics;
using Dapper;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Observability;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>
/// Bookings for /metrics, counted from the committed events (on the node that dispatches them, so sum over nodes),
/// and the reservations in force, counted from this module's own table.
/// </summary>
internal sealed class ReservationMetrics : IEventHandler<ReservationConfirmed>
{
    private static readonly Meter Meter = new(ObservabilityModule.MeterName + ".Reservations");
    private static readonly Counter<long> Confirmed = Meter.CreateCounter<long>("smartparking.reservations.confirmed", "{reservation}",
        "Reservations confirmed (paid or free): bookings; rate it for bookings per hour");

    public static readonly CountGauge Active = new("smartparking.reservations.active", "{reservation}",
        "Confirmed or checked-in reservations whose window has not ended",
        (connection, ct) => connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from reservations where status in ('confirmed', 'checked_in') and upper(during) > now()", cancellationToken: ct)));

    public Task HandleAsync(ReservationConfirmed domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Confirmed.Add(1, new KeyValuePair<string, object?>("space_type", domainEvent.Reservation.SpaceType));
        return Task.CompletedTask;
    }
}
