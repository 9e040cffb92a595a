using System.Data;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>
/// The ledger's SQL. Every state write goes through payment_state_rank(), so a late or repeated answer never moves a state
/// back; a write that moves a payment to succeeded or failed, or a refund to succeeded, records its event in the same
/// transaction (once per move).
/// </summary>
public sealed class PaymentLedger(NpgsqlDataSource db, EventOutbox outbox)
{
    /// <summary>Null when a payment with the same driver and idempotency key exists already (the unique constraint decides races).</summary>
    public async Task<PaymentRow?> TryInsertAsync(PaymentRow row, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PaymentRow>(new CommandDefinition("""
            insert into payments (id, tenant_id, driver_id, purpose, reference_id, amount, currency, description, time_zone, state, idempotency_key, attempt_started_at, created_at, updated_at)
            values (@Id, @TenantId, @DriverId, @Purpose, @ReferenceId, @Amount, @Currency, @Description, @TimeZone, 'pending', @IdempotencyKey, @AttemptStartedAt, @CreatedAt, @CreatedAt)
            on conflict (driver_id, idempotency_key) do nothing
            returning *
            """, row, cancellationToken: ct));
    }

    public async Task<PaymentRow?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PaymentRow>(new CommandDefinition("select * from payments where id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<PaymentRow?> GetByKeyAsync(Guid driverId, string key, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PaymentRow>(new CommandDefinition(
            "select * from payments where driver_id = @driverId and idempotency_key = @key", new { driverId, key }, cancellationToken: ct));
    }

    /// <summary>Takes over an abandoned attempt; only one caller wins because the old start time must still match.</summary>
    public async Task<bool> ClaimAsync(Guid id, DateTimeOffset? previousStart, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            update payments set attempt_started_at = @now
            where id = @id and state = 'pending' and provider is null and attempt_started_at is not distinct from @previousStart
            """, new { id, previousStart, now }, cancellationToken: ct)) == 1;
    }

    /// <summary>Gives up this attempt's claim without an outcome, so the next request with the key drives it at once.</summary>
    public async Task ReleaseAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update payments set attempt_started_at = null where id = @id and state = 'pending' and provider is null", new { id }, cancellationToken: ct));
    }

    /// <summary>
    /// Records a provider's answer and returns the row as it stands after it (a webhook may have moved it further while
    /// the call was out). A move to a new state is marked for announcement and recorded as an event in the same transaction.
    /// </summary>
    public async Task<PaymentRow> RecordChargeAsync(Guid id, RoutedCharge routed, DateTimeOffset now, DateTimeOffset announceAfter, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Locked first, so the state before the write is the one the write compares with (a webhook may be applying too).
        var before = await connection.ExecuteScalarAsync<string>(new CommandDefinition("select state from payments where id = @id for update", new { id }, tx, cancellationToken: ct));
        var row = await connection.QuerySingleAsync<PaymentRow>(new CommandDefinition($"""
            update payments set
                provider = coalesce(@provider, provider, 'none'),
                provider_reference = coalesce(@reference, provider_reference),
                payment_method_id = coalesce(@methodId, payment_method_id),
                failure_code = case when not {Moves} then failure_code when @state = 'failed' then @failureCode end,
                failure_message = case when not {Moves} then failure_message when @state = 'failed' then @failureMessage end,
                state = case when {Moves} then @state else state end,
                {AnnounceIf(Moves)},
                updated_at = @now
            where id = @id
            returning *
            """, new
        {
            id,
            provider = routed.Provider,
            reference = routed.Charge.Reference,
            methodId = routed.MethodId,
            state = States.Text(routed.Charge.State),
            failureCode = routed.Charge.FailureCode,
            failureMessage = Clip(routed.Charge.FailureMessage),
            now,
            announceAfter,
        }, tx, cancellationToken: ct));
        if (row.State != before) await RecordMoveAsync(connection, tx, row, ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>The event of a payment's move to the state <paramref name="moved"/> holds; the caller's transaction wrote the move.</summary>
    public async Task RecordMoveAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PaymentRow moved, CancellationToken ct)
    {
        if (moved.MovedEvent() is { } domainEvent) await outbox.AppendAsync(connection, tx, domainEvent, ct);
    }

    // In an UPDATE's SET list every column still reads its old value, so this compares against the state before the write.
    private const string Moves = "(payment_state_rank(@state) > payment_state_rank(state))";

    /// <summary>
    /// The SET items that mark a state change for announcement; <paramref name="moves"/> is a SQL condition on the old row,
    /// and the statement needs an @announceAfter parameter (when the job may announce it again if nobody did).
    /// </summary>
    internal static string AnnounceIf(string moves) =>
        $"settlement_version = settlement_version + case when {moves} then 1 else 0 end, announce_after = case when {moves} then @announceAfter else announce_after end";

    /// <summary>Every handler took the state of <paramref name="version"/>; a later state change keeps the row due.</summary>
    public async Task MarkAnnouncedAsync(Guid id, int version, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update payments set announced_version = @version where id = @id and announced_version < @version", new { id, version }, cancellationToken: ct));
    }

    /// <summary>
    /// Settlements nobody finished announcing by their time, taken for announcing now: each is pushed back to
    /// <paramref name="retryAt"/> first, so one whose handler keeps failing is retried at that pace, not every round.
    /// </summary>
    public async Task<IReadOnlyList<PaymentRow>> TakeDueAnnouncementsAsync(DateTimeOffset now, DateTimeOffset retryAt, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PaymentRow>(new CommandDefinition("""
            update payments set announce_after = @retryAt
            where id in (select id from payments where settlement_version > announced_version and announce_after <= @now
                         order by announce_after limit @limit for update skip locked)
            returning *
            """, new { now, retryAt, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>Charges claimed before <paramref name="startedBefore"/> that no provider answer was recorded for: their process died.</summary>
    public async Task<IReadOnlyList<PaymentRow>> StaleInFlightAsync(DateTimeOffset startedBefore, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PaymentRow>(new CommandDefinition("""
            select * from payments where state = 'pending' and provider is null and attempt_started_at <= @startedBefore
            order by attempt_started_at limit @limit
            """, new { startedBefore, limit }, cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<PaymentRow>> ForReferencesAsync(IReadOnlyCollection<Guid> referenceIds, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PaymentRow>(new CommandDefinition(
            "select * from payments where reference_id = any(@ids) order by created_at, id", new { ids = referenceIds.ToArray() }, cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<PaymentRow>> ForReferenceAsync(Guid referenceId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PaymentRow>(new CommandDefinition(
            "select * from payments where reference_id = @referenceId order by created_at, id", new { referenceId }, cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<RefundRow>> RefundsForAsync(IEnumerable<Guid> paymentIds, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<RefundRow>(new CommandDefinition(
            "select * from refunds where payment_id = any(@ids) order by created_at, id", new { ids = paymentIds.ToArray() }, cancellationToken: ct))).ToList();
    }

    // ---- refunds --------------------------------------------------------------------------------

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => await db.OpenConnectionAsync(ct);

    public static Task<PaymentRow?> LockPaymentAsync(IDbConnection connection, IDbTransaction tx, Guid id, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<PaymentRow>(new CommandDefinition("select * from payments where id = @id for update", new { id }, tx, cancellationToken: ct));

    public static Task<RefundRow?> RefundByKeyAsync(IDbConnection connection, IDbTransaction tx, Guid paymentId, string key, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<RefundRow>(new CommandDefinition(
            "select * from refunds where payment_id = @paymentId and idempotency_key = @key", new { paymentId, key }, tx, cancellationToken: ct));

    /// <summary>What is left to refund: failed refunds give their amount back, pending ones hold it.</summary>
    public static Task<decimal> RefundedOrHeldAsync(IDbConnection connection, IDbTransaction tx, Guid paymentId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<decimal>(new CommandDefinition(
            "select coalesce(sum(amount), 0) from refunds where payment_id = @paymentId and state <> 'failed'", new { paymentId }, tx, cancellationToken: ct));

    /// <summary>A new refund of <paramref name="payment"/>; one recorded as succeeded already (a provider's report) is RefundIssued at once.</summary>
    public async Task InsertRefundAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PaymentRow payment, RefundRow row, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into refunds (id, payment_id, amount, currency, reason, state, provider_reference, idempotency_key, failure_message, created_at, updated_at)
            values (@Id, @PaymentId, @Amount, @Currency, @Reason, @State, @ProviderReference, @IdempotencyKey, @FailureMessage, @CreatedAt, @CreatedAt)
            """, row, tx, cancellationToken: ct));
        if (row.State == States.Succeeded) await outbox.AppendAsync(connection, tx, Issued(payment, row), ct);
    }

    /// <summary>Records the provider's answer on a refund; the answer that makes it succeed records RefundIssued with it.</summary>
    public async Task RecordRefundAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PaymentRow payment, Guid refundId, PaymentState state, string? reference,
        string? failureMessage, DateTimeOffset now, CancellationToken ct)
    {
        var before = await connection.ExecuteScalarAsync<string>(new CommandDefinition("select state from refunds where id = @refundId for update", new { refundId }, tx, cancellationToken: ct));
        var refund = await connection.QuerySingleAsync<RefundRow>(new CommandDefinition("""
            update refunds set
                provider_reference = coalesce(provider_reference, @reference),
                failure_message = case when payment_state_rank(@state) > payment_state_rank(state) and @state = 'failed' then @failureMessage else failure_message end,
                state = case when payment_state_rank(@state) > payment_state_rank(state) then @state else state end,
                updated_at = @now
            where id = @refundId
            returning *
            """, new { refundId, state = States.Text(state), reference, failureMessage = Clip(failureMessage), now }, tx, cancellationToken: ct));
        if (before != States.Succeeded && refund.State == States.Succeeded) await outbox.AppendAsync(connection, tx, Issued(payment, refund), ct);
    }

    private static RefundIssued Issued(PaymentRow payment, RefundRow refund) => new(payment.ToFacts(), refund.Id, refund.Amount, refund.Reason ?? "");

    public async Task<RefundRow> GetRefundAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<RefundRow>(new CommandDefinition("select * from refunds where id = @id", new { id }, cancellationToken: ct));
    }

    internal static string? Clip(string? message) => message is null || message.Length <= 500 ? message : message[..500];
}
