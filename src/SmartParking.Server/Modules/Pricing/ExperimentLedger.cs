using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// Pricing's own record of stays (reservations and meter sessions) and of the money paid for them, kept from their
/// events so that experiment reports read no other module's tables. Delivery is at least once: a stay is upserted
/// only by a later event than the one it holds, and money is one row per event id.
/// </summary>
public sealed class ExperimentLedger(NpgsqlDataSource db) :
    IEventHandler<ReservationConfirmed>, IEventHandler<ReservationCheckedIn>, IEventHandler<ReservationCompleted>,
    IEventHandler<ReservationCancelled>, IEventHandler<ReservationNoShow>,
    IEventHandler<SessionStarted>, IEventHandler<SessionStopped>, IEventHandler<SessionExpired>,
    IEventHandler<PaymentSucceeded>, IEventHandler<RefundIssued>
{
    public Task HandleAsync(ReservationConfirmed e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "confirmed", envelope, ct);

    public Task HandleAsync(ReservationCheckedIn e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "checked_in", envelope, ct);

    public Task HandleAsync(ReservationCompleted e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "completed", envelope, ct);

    public Task HandleAsync(ReservationCancelled e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "cancelled", envelope, ct);

    public Task HandleAsync(ReservationNoShow e, EventEnvelope envelope, CancellationToken ct) => ReservationAsync(e.Reservation, "no_show", envelope, ct);

    public Task HandleAsync(SessionStarted e, EventEnvelope envelope, CancellationToken ct) => SessionAsync(e.Session, "active", null, envelope, ct);

    public Task HandleAsync(SessionStopped e, EventEnvelope envelope, CancellationToken ct) => SessionAsync(e.Session, "stopped", e.StoppedAt, envelope, ct);

    // Expired at the end of the paid time, which is when it is charged.
    public Task HandleAsync(SessionExpired e, EventEnvelope envelope, CancellationToken ct) => SessionAsync(e.Session, "expired", e.Session.EndsAt, envelope, ct);

    public Task HandleAsync(PaymentSucceeded e, EventEnvelope envelope, CancellationToken ct) => MoneyAsync(e.Payment.ReferenceId, e.Payment.Amount, envelope, ct);

    public Task HandleAsync(RefundIssued e, EventEnvelope envelope, CancellationToken ct) => MoneyAsync(e.Payment.ReferenceId, -e.RefundAmount, envelope, ct);

    // A reservation counts as booked when it is confirmed (paid); an event of one confirmed before this ledger existed books it then.
    private Task ReservationAsync(ReservationFacts r, string status, EventEnvelope envelope, CancellationToken ct) =>
        UpsertAsync(new Stay(r.ReservationId, r.TenantId, r.LotId, r.DriverId, "reservation", status, envelope.OccurredAt, r.Start, null, envelope.Position), ct);

    private Task SessionAsync(SessionFacts s, string status, DateTimeOffset? endedAt, EventEnvelope envelope, CancellationToken ct) =>
        UpsertAsync(new Stay(s.SessionId, s.TenantId, s.LotId, s.DriverId, "session", status, s.StartedAt, s.StartedAt, endedAt, envelope.Position), ct);

    private sealed record Stay(Guid Id, Guid TenantId, Guid LotId, Guid DriverId, string Kind, string Status, DateTimeOffset BookedAt, DateTimeOffset StartedAt,
        DateTimeOffset? EndedAt, long Position);

    private async Task UpsertAsync(Stay stay, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into pricing_stays as s (id, tenant_id, lot_id, driver_id, kind, status, booked_at, started_at, ended_at, position)
            values (@Id, @TenantId, @LotId, @DriverId, @Kind, @Status, @BookedAt, @StartedAt, @EndedAt, @Position)
            on conflict (id) do update set status = excluded.status, started_at = excluded.started_at, ended_at = coalesce(excluded.ended_at, s.ended_at),
                position = excluded.position
            where excluded.position > s.position
            """, stay, cancellationToken: ct));
    }

    private async Task MoneyAsync(Guid referenceId, decimal amount, EventEnvelope envelope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into pricing_revenue (event_id, reference_id, amount) values (@EventId, @referenceId, @amount)
            on conflict (event_id) do nothing
            """, new { envelope.EventId, referenceId, amount }, cancellationToken: ct));
    }
}
