using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Payments.Ledger;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Payments.Webhooks;

/// <summary>
/// Applies a verified provider event to the ledger exactly once (the event id is recorded in the same transaction) and
/// in any order (states only move forward; a refund implies the charge succeeded). Every state a payment moves to, and
/// every refund that succeeds, is recorded as an event in the same transaction, and a move is announced to the modules
/// waiting for payments after the commit (<see cref="SettlementAnnouncer"/>).
/// </summary>
public sealed class WebhookApplier(NpgsqlDataSource db, PaymentLedger ledger, PaymentRouter router, SettlementAnnouncer announcer, TimeProvider time, IOptions<PaymentsOptions> options,
    ILogger<WebhookApplier> logger)
{
    public enum Result { Applied, Duplicate, Unmatched }

    public async Task<Result> ApplyAsync(WebhookChange change, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        PaymentRow? moved = null;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            var fresh = await connection.ExecuteAsync(new CommandDefinition("""
                insert into webhook_events (provider, event_id, type, received_at) values (@Provider, @EventId, @EventType, @now)
                on conflict (provider, event_id) do nothing
                """, new { change.Provider, change.EventId, change.EventType, now }, tx, cancellationToken: ct));
            if (fresh == 0) return Result.Duplicate;

            var payment = await FindAsync(connection, tx, change, ct);
            if (payment is null)
            {
                logger.LogWarning("{Provider} event {EventId} ({Type}) names no payment in the ledger", change.Provider, change.EventId, change.EventType);
                await tx.CommitAsync(ct);
                return Result.Unmatched;
            }
            if (payment.Provider is not null && payment.Provider != "none" && payment.Provider != change.Provider)
            {
                // The charge went elsewhere (failover after an ambiguous timeout), yet this provider took money too: it goes
                // back. The event is recorded only once the refund is made, so a failed refund is retried on redelivery.
                if (change.PaymentState == PaymentState.Succeeded && change.PaymentReference is not null)
                    await RefundDoubleChargeAsync(payment, change, ct);
                logger.LogWarning("{Provider} event {EventId} ({Type}) concerns payment {PaymentId}, which {Other} took; {Provider}'s charge {Reference} refunded",
                    change.Provider, change.EventId, change.EventType, payment.Id, payment.Provider, change.Provider, change.PaymentReference);
                await tx.CommitAsync(ct);
                return Result.Unmatched;
            }

            var before = States.Parse(payment.State);
            var after = change.PaymentState is { } s && States.Rank(s) > States.Rank(before) ? s : before;
            var changed = after != before;
            var updated = await connection.QuerySingleAsync<PaymentRow>(new CommandDefinition($"""
                update payments set state = @state, provider = coalesce(provider, @Provider), provider_reference = coalesce(provider_reference, @PaymentReference),
                    failure_code = case when not @changed then failure_code when @state = 'failed' then @FailureCode end,
                    failure_message = case when not @changed then failure_message when @state = 'failed' then @FailureMessage end,
                    {PaymentLedger.AnnounceIf("@changed")},
                    updated_at = @now
                where id = @id
                returning *
                """, new
            {
                id = payment.Id, state = States.Text(after), changed, change.Provider, change.PaymentReference,
                change.FailureCode, FailureMessage = PaymentLedger.Clip(change.FailureMessage), now,
                announceAfter = now.AddSeconds(options.Value.SettlementGraceSeconds),
            }, tx, cancellationToken: ct));
            if (changed) await ledger.RecordMoveAsync(connection, tx, updated, ct);
            foreach (var refund in change.Refunds) await ApplyRefundAsync(connection, tx, updated, refund, now, ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "update webhook_events set payment_id = @id where provider = @Provider and event_id = @EventId",
                new { id = payment.Id, change.Provider, change.EventId }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            // Every move is news, not only the first out of pending: a payment_failed followed by succeeded (the driver
            // retried with another card) has taken money that the waiting module must confirm or give back. The move is
            // recorded as due with the commit, so a crash before the handlers ran only delays it to the payments job.
            if (changed) moved = updated;
        }
        if (moved is not null) await announcer.AnnounceAsync(moved, ct);
        return Result.Applied;
    }

    private async Task RefundDoubleChargeAsync(PaymentRow payment, WebhookChange change, CancellationToken ct)
    {
        // One refund id per payment and provider: the provider's idempotency key is derived from it.
        var refundId = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"double-charge:{payment.Id}:{change.Provider}")).AsSpan(0, 16));
        var answer = await router.RefundAsync(change.Provider, change.PaymentReference!, Money.ToMinorUnits(payment.Amount, payment.Currency), payment.Currency, refundId, ct);
        if (answer is null || answer.State == PaymentState.Failed)
            throw new ServiceUnavailableException($"The {change.Provider} charge {change.PaymentReference} taken after failover could not be refunded yet.", TimeSpan.FromSeconds(60));
    }

    private static async Task<PaymentRow?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction tx, WebhookChange change, CancellationToken ct)
    {
        if (change.PaymentId is { } id &&
            await connection.QuerySingleOrDefaultAsync<PaymentRow>(new CommandDefinition("select * from payments where id = @id for update", new { id }, tx, cancellationToken: ct)) is { } byId)
            return byId;
        if (change.PaymentReference is null) return null;
        return await connection.QuerySingleOrDefaultAsync<PaymentRow>(new CommandDefinition(
            "select * from payments where provider = @Provider and provider_reference = @PaymentReference for update",
            new { change.Provider, change.PaymentReference }, tx, cancellationToken: ct));
    }

    private async Task ApplyRefundAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PaymentRow payment, RefundChange refund, DateTimeOffset now, CancellationToken ct)
    {
        var existing = await connection.QuerySingleOrDefaultAsync<RefundRow>(new CommandDefinition("""
            select * from refunds where payment_id = @paymentId and (id = @refundId or provider_reference = @Reference)
            order by (id = @refundId) desc limit 1
            """, new { paymentId = payment.Id, refundId = refund.RefundId ?? Guid.Empty, refund.Reference }, tx, cancellationToken: ct));
        if (existing is not null)
        {
            await ledger.RecordRefundAsync(connection, tx, payment, existing.Id, refund.State, refund.Reference, refund.FailureMessage, now, ct);
            return;
        }
        // Made at the provider (its dashboard) or reported before our own call returned: recorded as the provider tells it.
        await ledger.InsertRefundAsync(connection, tx, payment, new RefundRow
        {
            Id = refund.RefundId ?? Guid.CreateVersion7(),
            PaymentId = payment.Id,
            Amount = Money.FromMinorUnits(refund.AmountMinor, refund.Currency),
            Currency = refund.Currency,
            Reason = "reported by " + payment.Provider,
            State = States.Text(refund.State),
            ProviderReference = refund.Reference,
            IdempotencyKey = "provider:" + refund.Reference,
            FailureMessage = refund.FailureMessage,
            CreatedAt = now,
        }, ct);
    }
}
