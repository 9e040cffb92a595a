using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Reservations.Booking;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>
/// The clock-driven side of reservations, run on one node at a time: holds expire, no-shows are released and charged,
/// sensors check cars in and out, overstays are charged, interrupted refunds are finished.
/// </summary>
public sealed class ReservationJobs(
    NpgsqlDataSource db, ReservationService reservations, IPaymentService payments, AvailabilityModel availability,
    IOptions<ReservationOptions> options, FieldProtector protector, ILogger<ReservationJobs> logger) : IScheduledJob
{
    private const int Batch = 500;

    public string Name => "reservations";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var released = await ExpireHoldsAsync(connection, now, ct);

        released += await reservations.MarkNoShowsAsync(connection, now, ct);
        if (released > 0) logger.LogInformation("Released {Count} reservations (expired holds, no-shows)", released);
        await reservations.AnnounceSoonAsync(connection, now, ct);
        foreach (var row in await RowsAsync(connection, "r.status = 'no_show' and not r.no_show_fee_charged", now, ct))
            await reservations.ChargeNoShowAsync(connection, row, ct);

        await FollowSensorsAsync(connection, now, ct);

        foreach (var row in await RowsAsync(connection, "r.status = 'checked_in' and upper(r.during) < @now", now, ct))
            await reservations.BillOverstayAsync(connection, row, now, final: false, ct);
        // A check-out whose overstay charge was interrupted.
        foreach (var row in await RowsAsync(connection, """
            r.status = 'completed' and r.checked_out_at > upper(r.during)
            and (r.overstay_minutes_billing is not null or r.overstay_minutes_charged < ceil(extract(epoch from r.checked_out_at - upper(r.during)) / 60))
            """, now, ct))
            await reservations.BillOverstayAsync(connection, row, row.CheckedOutAt!.Value, final: true, ct);

        foreach (var (id, percent) in await connection.QueryAsync<(Guid, int)>(new CommandDefinition(
            $"select id, refund_pending_percent from reservations where refund_pending_percent is not null limit {Batch}", cancellationToken: ct)))
            await reservations.RefundPendingAsync(connection, id, percent, ct);
    }

    /// <summary>
    /// Releases holds past their expiry, but asks Payments about them first: a payment that succeeded while its news
    /// was lost (a crash between the provider's answer and the confirmation), or that was still in flight when its
    /// process died, confirms the booking instead. Only the holds about to expire are asked about, a batch at a time.
    /// </summary>
    private async Task<int> ExpireHoldsAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        var released = 0;
        while (true)
        {
            var due = (await connection.QueryAsync<Guid>(new CommandDefinition(
                $"select id from reservations where status = 'held' and hold_expires_at <= @now order by hold_expires_at limit {Batch}",
                new { now }, cancellationToken: ct))).ToList();
            if (due.Count == 0) return released;
            var expire = due.ToHashSet();
            foreach (var paid in await payments.ReconcileAsync(due, ct))
            {
                if (paid.Purpose != PaymentPurpose.Reservation || paid.Payment.State != PaymentState.Succeeded) continue;
                try
                {
                    await reservations.ConfirmPaidAsync(paid.ReferenceId, paid.Payment.PaymentId, paid.Payment.Amount, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Paid, so not to be expired: kept held for the next round, whatever went wrong with this one.
                    expire.Remove(paid.ReferenceId);
                    logger.LogError(e, "Could not confirm paid reservation {ReservationId} whose hold ran out; trying again next round", paid.ReferenceId);
                }
            }
            // A payment that succeeds from here on finds the reservation expired and re-takes the space or refunds.
            released += await reservations.ExpireHoldsAsync(connection, expire, now, ct);
            if (due.Count < Batch || expire.Count < due.Count) return released;
        }
    }

    /// <summary>A car arriving in a reserved space checks the reservation in; the space emptying afterwards checks it out.</summary>
    private async Task FollowSensorsAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken ct)
    {
        var early = TimeSpan.FromMinutes(options.Value.CheckInEarlyMinutes);
        foreach (var row in await RowsAsync(connection, "r.status = 'confirmed' and lower(r.during) - @early <= @now and @now < upper(r.during)", now, ct, new { early }))
        {
            if (availability.SensorState(row.SpaceId) is not ({ } status, { } since) || status != SpaceStatus.Occupied || since < row.Start - early) continue;
            await reservations.TransitionAsync(connection, row.Id, ReservationStatus.Confirmed, ReservationStatus.CheckedIn, now, f => new ReservationCheckedIn(f, since),
                ", checked_in_at = @since", new { since }, ct: ct);
        }
        foreach (var row in await RowsAsync(connection, "r.status = 'checked_in'", now, ct))
        {
            if (availability.SensorState(row.SpaceId) is not ({ } status, { } since) || status != SpaceStatus.Free || since <= row.CheckedInAt) continue;
            await reservations.CompleteAsync(row, since, ct);
        }
    }

    private async Task<IReadOnlyList<ReservationRow>> RowsAsync(NpgsqlConnection connection, string where, DateTimeOffset now, CancellationToken ct, object? extra = null)
    {
        var parameters = new DynamicParameters(extra);
        parameters.Add("now", now);
        return (await connection.QueryAsync<ReservationRow>(new CommandDefinition(
            $"{ReservationSql.Select} where {where} order by lower(r.during) limit {Batch}", parameters, cancellationToken: ct))).Select(r => r.Opened(protector)).ToList();
    }
}
