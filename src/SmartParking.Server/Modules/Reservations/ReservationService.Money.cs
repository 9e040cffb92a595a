using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Modules.Reservations.Rules;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>
/// Everything that moves money for a reservation. Each charge and refund has a key derived from the reservation and
/// what it is for, so repeating any step (a client retry, a crash and restart, two nodes) never charges twice.
/// The status change is committed before the money moves and the money step is recorded after, so a crash in
/// between leaves a marker the scheduled work picks up.
/// </summary>
public sealed partial class ReservationService
{
    /// <summary>Pays a held reservation; confirmed when the payment succeeds, still held while it is pending.</summary>
    public async Task<(ReservationRow Reservation, PaymentOutcome Payment)> PayAsync(Guid driverId, Guid id, CancellationToken ct)
    {
        var row = await FindOwnAsync(driverId, id, ct);
        var now = time.GetUtcNow();
        if (row.Status != ReservationStatus.Held)
            throw new ConflictException($"The reservation is {row.Status}; only a held reservation can be paid.", new Dictionary<string, object?> { ["reservationStatus"] = row.Status }, code: Refusals.WrongStatus);
        if (row.HoldExpiresAt <= now) throw new ConflictException("The hold on this reservation has expired; book again.", code: Refusals.HoldExpired);
        var zone = await lots.TimeZoneOfAsync(row.LotId, ct);
        var payment = await payments.ChargeAsync(new ChargeRequest(row.TenantId, driverId, PaymentPurpose.Reservation, id, row.Price, row.Currency.Trim(),
            $"reservation:{id}", $"Parking space {row.SpaceLabel}, {LocalTimes.Range(row.Start, row.End, zone)}", zone), ct);
        if (payment.State == PaymentState.Failed)
            throw new PaymentFailedException(payment.FailureMessage ?? "The payment was declined.", payment.FailureCode);
        await using var connection = await db.OpenConnectionAsync(ct);
        var reservation = await FindAsync(connection, id, ct);
        // The payment's announcement (ReservationPayments) has normally confirmed it by now; this covers a handler that
        // failed, so the driver's answer does not wait for the payments job.
        if (payment.State == PaymentState.Succeeded && reservation.Status != ReservationStatus.Confirmed)
        {
            await ConfirmPaidAsync(id, payment.PaymentId, payment.Amount, ct);
            reservation = await FindAsync(connection, id, ct);
        }
        return (reservation, payment);
    }

    /// <summary>
    /// A succeeded payment confirms the reservation. If it arrived too late (the hold expired, the driver cancelled)
    /// the space is taken again when still free; otherwise the money goes back. Idempotent: payments announce a
    /// settlement at least once, from more than one path.
    /// </summary>
    internal async Task ConfirmPaidAsync(Guid id, Guid paymentId, decimal amount, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        // One round trip in the usual case: a held reservation is confirmed, anything else says where it stands. A payment
        // that confirmed a reservation clears its hold, so a repeat is recognised even once the booking was cancelled,
        // no-showed or completed: it must not be refunded (again) as a late payment.
        bool moved, wasConfirmed;
        string status;
        await using (var confirm = await connection.BeginTransactionAsync(ct))
        {
            (moved, status, wasConfirmed) = await connection.QuerySingleOrDefaultAsync<(bool, string, bool)?>(new CommandDefinition("""
                with moved as (
                    update reservations set status = 'confirmed', hold_expires_at = null, updated_at = @now where id = @id and status = 'held' returning id)
                select exists (select 1 from moved), r.status, r.hold_expires_at is null from reservations r where r.id = @id
                """, new { id, now }, confirm, cancellationToken: ct)) ?? throw new NotFoundException("Reservation");
            if (moved) await RecordAsync(connection, confirm, [new ReservationConfirmed((await FindAsync(connection, id, ct, confirm)).ToFacts())], ct);
            await confirm.CommitAsync(ct);
        }
        if (moved || wasConfirmed) return;
        if (status == ReservationStatus.Expired)
        {
            try
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await LockSpaceAsync(connection, tx, (await FindAsync(connection, id, ct, tx)).SpaceId, ct);
                if (await TransitionAsync(connection, id, ReservationStatus.Expired, ReservationStatus.Confirmed, now, f => new ReservationConfirmed(f), ", hold_expires_at = null", tx: tx, ct: ct))
                {
                    await tx.CommitAsync(ct);
                    return;
                }
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
            {
                // Someone else booked the space after the hold expired: fall through to the refund.
            }
        }
        // Confirmed meanwhile by the same payment's other announcement.
        if ((await FindAsync(connection, id, ct)).HoldExpiresAt is null) return;
        await payments.RefundAsync(new RefundRequest(paymentId, amount, $"refund:{paymentId}:late-payment", "Paid after the reservation had ended"), ct);
    }

    /// <summary>
    /// What moving the end to <see cref="ExtensionRequest.End"/> would cost, after the same checks as the extension itself
    /// (the space being free is checked only when it is done): what the chat tells the driver before they say yes.
    /// </summary>
    public async Task<ExtensionQuote> QuoteExtensionAsync(Guid driverId, Guid id, ExtensionRequest request, CancellationToken ct)
    {
        var row = await FindOwnAsync(driverId, id, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        var (end, extra, _) = await CheckExtensionAsync(connection, driverId, row, request, ct);
        return new ExtensionQuote(end, extra, row.Currency.Trim());
    }

    /// <summary>The new end, what the extra time costs and the lot, once the extension is allowed (else the refusal).</summary>
    private async Task<(DateTimeOffset End, decimal Extra, LotFacts Lot)> CheckExtensionAsync(NpgsqlConnection connection, Guid driverId, ReservationRow row,
        ExtensionRequest request, CancellationToken ct)
    {
        if (request.End is null) throw new ValidationException("end", "is required.");
        new Validation().Instant(request.End, "end").ThrowIfInvalid();
        var end = request.End.Value.ToWholeSecond();
        if (row.Status is not (ReservationStatus.Held or ReservationStatus.Confirmed or ReservationStatus.CheckedIn))
            throw new ConflictException($"The reservation is {row.Status} and cannot be extended.", new Dictionary<string, object?> { ["reservationStatus"] = row.Status }, code: Refusals.WrongStatus);
        var lot = await lots.FindAsync(row.LotId, ct) ?? throw new NotFoundException("Lot");
        var policy = await ReservationPolicies.ForLotAsync(connection, lot, ct);
        new Validation()
            .Check(end > row.End, "end", "must be after the current end.")
            .Check((end - row.Start).TotalMinutes <= policy.MaxDurationMinutes, "end", $"the stay must be at most {policy.MaxDurationMinutes} minutes.")
            .ThrowIfInvalid();
        new Validation().Check(lot.IsOpenThroughout(row.End, end), "end", $"the lot is closed during part of the extension: {lot.ClosedText(row.End, end)}.").ThrowIfInvalid();
        if ((await ZoneRuleBook.ForLotAsync(connection, lot, ct)).For(row.ZoneId).Check(row.Start, end, row.SpaceType == ZoneRuleKinds.LoadingSpaceType) is { } breach)
            throw RuleConflict(breach);
        var extra = (await pricing.QuoteAsync(connection, lot, row.End, end, new PriceScope(row.ZoneId, row.SpaceType, driverId), ct)).Amount;
        return (end, extra, lot);
    }

    /// <summary>Moves the end later if the space is free until then; the extra time is charged for a paid reservation.</summary>
    public async Task<ReservationRow> ExtendAsync(Guid driverId, Guid id, ExtensionRequest request, CancellationToken ct)
    {
        var row = await FindOwnAsync(driverId, id, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        var (end, extra, lot) = await CheckExtensionAsync(connection, driverId, row, request, ct);
        try
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            await LockSpaceAsync(connection, tx, row.SpaceId, ct);
            var moved = await connection.ExecuteAsync(new CommandDefinition("""
                update reservations set during = tstzrange(lower(during), @end, '[)'), price = price + @extra, updated_at = @now, ending_soon_at = null
                where id = @id and status = @Status and upper(during) = @oldEnd
                """, new { id, end, extra, now = time.GetUtcNow(), row.Status, oldEnd = row.End }, tx, cancellationToken: ct));
            if (moved == 0) throw new ConflictException("The reservation changed meanwhile; load it and try again.", code: Refusals.ChangedMeanwhile);
            await RecordAsync(connection, tx, [new ReservationExtended((await FindAsync(connection, id, ct, tx)).ToFacts(), row.End)], ct);
            await tx.CommitAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            throw await ConflictAsync(connection, row.SpaceId, row.End, end, lot.TimeZone, ct);
        }
        if (row.Status != ReservationStatus.Held && extra > 0)
        {
            var payment = await payments.ChargeAsync(new ChargeRequest(row.TenantId, driverId, PaymentPurpose.ReservationExtension, id, extra, row.Currency.Trim(),
                $"reservation:{id}:extend:{row.End.UtcTicks}-{end.UtcTicks}", $"Extension of space {row.SpaceLabel} to {LocalTimes.Format(end, lot.TimeZone)}", lot.TimeZone), ct);
            if (payment.State == PaymentState.Failed)
            {
                await using var undo = await connection.BeginTransactionAsync(ct);
                if (await connection.ExecuteAsync(new CommandDefinition("""
                        update reservations set during = tstzrange(lower(during), @oldEnd, '[)'), price = price - @extra, updated_at = @now
                        where id = @id and upper(during) = @end
                        """, new { id, end, extra, oldEnd = row.End, now = time.GetUtcNow() }, undo, cancellationToken: ct)) == 1)
                    await RecordAsync(connection, undo, [new ReservationExtended((await FindAsync(connection, id, ct, undo)).ToFacts(), end)], ct);
                await undo.CommitAsync(ct);
                throw new PaymentFailedException(payment.FailureMessage ?? "The payment for the extension was declined.", payment.FailureCode);
            }
        }
        return await FindAsync(connection, id, ct);
    }

    /// <summary>Free until the start (full refund); after it the lot's late-cancellation share is kept.</summary>
    public async Task<ReservationRow> CancelAsync(Guid driverId, Guid id, CancellationToken ct) =>
        await CancelRowAsync(await FindOwnAsync(driverId, id, ct), null, ct);

    /// <param name="refundPercent">The share refunded of what was paid; null = the lot's policy for a driver's own cancellation.</param>
    private async Task<ReservationRow> CancelRowAsync(ReservationRow row, int? refundPercent, CancellationToken ct)
    {
        var id = row.Id;
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        switch (row.Status)
        {
            case ReservationStatus.Held:
                if (!await TransitionAsync(connection, id, row.Status, ReservationStatus.Cancelled, now, f => new ReservationCancelled(f, 0), ", cancelled_at = @now", ct: ct))
                    throw new ConflictException("The reservation changed meanwhile; load it and try again.", code: Refusals.ChangedMeanwhile);
                break;
            case ReservationStatus.Confirmed:
                var lot = await lots.FindAsync(row.LotId, ct) ?? throw new NotFoundException("Lot");
                var policy = await ReservationPolicies.ForLotAsync(connection, lot, ct);
                refundPercent ??= now < row.Start ? 100 : 100 - policy.LateCancellationPercent;
                var kept = Math.Round(row.Price * (100 - refundPercent.Value) / 100m, 2, MidpointRounding.AwayFromZero);
                if (!await TransitionAsync(connection, id, row.Status, ReservationStatus.Cancelled, now, f => new ReservationCancelled(f, kept),
                        ", cancelled_at = @now, refund_pending_percent = @refundPercent", new { refundPercent }, ct: ct))
                    throw new ConflictException("The reservation changed meanwhile; load it and try again.", code: Refusals.ChangedMeanwhile);
                try
                {
                    await RefundPendingAsync(connection, id, refundPercent.Value, ct);
                }
                catch (ServiceUnavailableException)
                {
                    // Cancelled all the same; the marker stays and the scheduled work sends the refund when the provider answers.
                }
                break;
            case ReservationStatus.CheckedIn:
                throw new ConflictException("The car is checked in; check out instead.", code: Refusals.CheckedIn);
            default:
                throw new ConflictException($"The reservation is {row.Status} and cannot be cancelled.", new Dictionary<string, object?> { ["reservationStatus"] = row.Status }, code: Refusals.WrongStatus);
        }
        return await FindAsync(connection, id, ct);
    }

    /// <summary>Refunds the given share of every succeeded payment of a cancelled reservation, then clears the marker.</summary>
    internal async Task RefundPendingAsync(NpgsqlConnection connection, Guid id, int percent, CancellationToken ct)
    {
        if (percent > 0)
            foreach (var paid in (await payments.PaymentsForAsync(id, ct)).Where(p => p.State == PaymentState.Succeeded))
            {
                var amount = Math.Round(paid.Amount * percent / 100m, 2, MidpointRounding.ToZero);
                if (amount > 0)
                    await payments.RefundAsync(new RefundRequest(paid.PaymentId, amount, $"refund:{paid.PaymentId}:cancellation", $"Cancellation ({percent}% refunded)"), ct);
            }
        await connection.ExecuteAsync(new CommandDefinition("update reservations set refund_pending_percent = null where id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<ReservationRow> CheckInAsync(Guid driverId, Guid id, CancellationToken ct)
    {
        var row = await FindOwnAsync(driverId, id, ct);
        var now = time.GetUtcNow();
        if (row.Status != ReservationStatus.Confirmed) throw new ConflictException($"The reservation is {row.Status}; only a confirmed reservation can be checked in.", new Dictionary<string, object?> { ["reservationStatus"] = row.Status }, code: Refusals.WrongStatus);
        if (now < row.Start.AddMinutes(-options.Value.CheckInEarlyMinutes) || now >= row.End)
            throw new ConflictException($"Check-in opens {options.Value.CheckInEarlyMinutes} minutes before the start and closes at the end.", code: Refusals.CheckInClosed);
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!await TransitionAsync(connection, id, ReservationStatus.Confirmed, ReservationStatus.CheckedIn, now, f => new ReservationCheckedIn(f, now), ", checked_in_at = @now", ct: ct))
            throw new ConflictException("The reservation changed meanwhile; load it and try again.", code: Refusals.ChangedMeanwhile);
        return await FindAsync(connection, id, ct);
    }

    public async Task<ReservationRow> CheckOutAsync(Guid driverId, Guid id, CancellationToken ct)
    {
        var row = await FindOwnAsync(driverId, id, ct);
        if (row.Status != ReservationStatus.CheckedIn) throw new ConflictException($"The reservation is {row.Status}; only a checked-in reservation can be checked out.", new Dictionary<string, object?> { ["reservationStatus"] = row.Status }, code: Refusals.WrongStatus);
        await CompleteAsync(row, time.GetUtcNow(), ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        return await FindAsync(connection, id, ct);
    }

    /// <summary>Ends a checked-in stay (driver or sensor) and charges any overstay up to the moment the car left.</summary>
    internal async Task CompleteAsync(ReservationRow row, DateTimeOffset leftAt, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!await TransitionAsync(connection, row.Id, ReservationStatus.CheckedIn, ReservationStatus.Completed, time.GetUtcNow(), f => new ReservationCompleted(f, leftAt),
                ", checked_out_at = @leftAt", new { leftAt }, ct: ct))
            return;
        await BillOverstayAsync(connection, await FindAsync(connection, row.Id, ct), leftAt, final: true, ct);
    }

    /// <summary>
    /// Charges the minutes past the end not yet charged: in steps while the car stays, and the rest (rounded up) when
    /// it leaves. The minute count is written before the charge, so a crash repeats exactly the same charge.
    /// </summary>
    internal async Task BillOverstayAsync(NpgsqlConnection connection, ReservationRow row, DateTimeOffset upTo, bool final, CancellationToken ct)
    {
        // At check-out a step still being charged (by the scheduled work, or before a crash) is finished first, then the rest.
        while (true)
        {
            var billing = row.OverstayMinutesBilling;
            if (billing is null)
            {
                var past = (upTo - row.End).TotalMinutes;
                var minutes = (int)(final ? Math.Ceiling(past) : Math.Floor(past));
                if (minutes <= row.OverstayMinutesCharged) return;
                if (!final && minutes - row.OverstayMinutesCharged < options.Value.OverstayChargeStepMinutes) return;
                var claimed = await connection.ExecuteAsync(new CommandDefinition(
                    "update reservations set overstay_minutes_billing = @minutes where id = @Id and overstay_minutes_billing is null and overstay_minutes_charged = @OverstayMinutesCharged",
                    new { minutes, row.Id, row.OverstayMinutesCharged }, cancellationToken: ct));
                // Someone else (a check-out, the scheduled work) moved it meanwhile: start again from what is stored.
                if (claimed == 0) { row = await FindAsync(connection, row.Id, ct); continue; }
                billing = minutes;
            }
            var lot = await lots.FindAsync(row.LotId, ct) ?? throw new NotFoundException("Lot");
            var policy = await ReservationPolicies.ForLotAsync(connection, lot, ct);
            var amount = Math.Round((billing.Value - row.OverstayMinutesCharged) * policy.OverstayPerMinute, 2, MidpointRounding.AwayFromZero);
            if (amount > 0)
                await payments.ChargeAsync(new ChargeRequest(row.TenantId, row.DriverId, PaymentPurpose.Overstay, row.Id, amount, row.Currency.Trim(),
                    $"overstay:{row.Id}:{row.OverstayMinutesCharged}-{billing}", $"Overstay of {billing - row.OverstayMinutesCharged} minutes at space {row.SpaceLabel}", lot.TimeZone), ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "update reservations set overstay_minutes_charged = greatest(overstay_minutes_charged, @billing), overstay_minutes_billing = null where id = @Id and overstay_minutes_billing = @billing",
                new { billing, row.Id }, cancellationToken: ct));
            if (!final) return;
            row = await FindAsync(connection, row.Id, ct);
        }
    }

    /// <summary>Charges the lot's no-show fee once (the key makes a repeat after a crash a no-op at the provider).</summary>
    internal async Task ChargeNoShowAsync(NpgsqlConnection connection, ReservationRow row, CancellationToken ct)
    {
        var lot = await lots.FindAsync(row.LotId, ct) ?? throw new NotFoundException("Lot");
        var policy = await ReservationPolicies.ForLotAsync(connection, lot, ct);
        if (policy.NoShowFee > 0)
            await payments.ChargeAsync(new ChargeRequest(row.TenantId, row.DriverId, PaymentPurpose.NoShow, row.Id, policy.NoShowFee, row.Currency.Trim(),
                $"noshow:{row.Id}", $"No-show at space {row.SpaceLabel}, {LocalTimes.Format(row.Start, lot.TimeZone)}", lot.TimeZone), ct);
        await connection.ExecuteAsync(new CommandDefinition("update reservations set no_show_fee_charged = true where id = @Id", new { row.Id }, cancellationToken: ct));
    }
}
