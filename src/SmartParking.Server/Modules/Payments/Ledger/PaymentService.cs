using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Server.Modules.Payments.Wallet;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>
/// Charges and refunds with idempotency keys. The ledger row is written (pending) before the provider is called, so a
/// crash leaves a trace and a repeated request finds it; the provider sees a key derived from that row, so re-driving it
/// never charges twice.
/// </summary>
public sealed class PaymentService(PaymentLedger ledger, WalletStore wallet, PaymentRouter router, SettlementAnnouncer announcer, TimeProvider time,
    IOptions<PaymentsOptions> options, ILogger<PaymentService> logger) : IPaymentService
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(50);

    public async Task<PaymentOutcome> ChargeAsync(ChargeRequest request, CancellationToken ct)
    {
        var currency = request.Currency?.Trim().ToUpperInvariant() ?? "";
        new Validation()
            .Check(request.Amount > 0, "amount", "must be more than zero.")
            .Check(Money.IsCurrencyCode(currency), "currency", "must be an ISO 4217 code such as EUR.")
            .Check(!Money.IsCurrencyCode(currency) || Money.IsRepresentable(request.Amount, currency), "amount", "has more decimals than the currency allows.")
            .Check(request.Amount < 10_000_000_000m, "amount", "is too large.")
            .Required(request.IdempotencyKey, "idempotencyKey", 255)
            .MaxLength(request.Description, "description", 500)
            .Check(request.TimeZone is null || TimeZoneInfo.TryFindSystemTimeZoneById(request.TimeZone, out _), "timeZone", "must be an IANA time zone.")
            .ThrowIfInvalid();
        var now = time.GetUtcNow();
        var row = new PaymentRow
        {
            Id = Guid.CreateVersion7(),
            TenantId = request.TenantId,
            DriverId = request.DriverId,
            Purpose = PaymentPurposeText.Of(request.Purpose),
            ReferenceId = request.ReferenceId,
            Amount = request.Amount,
            Currency = currency,
            Description = request.Description,
            TimeZone = request.TimeZone,
            IdempotencyKey = request.IdempotencyKey,
            AttemptStartedAt = now,
            CreatedAt = now,
        };
        var inserted = await ledger.TryInsertAsync(row, ct);
        if (inserted is not null) return await DriveAsync(inserted, ct);

        var existing = await ledger.GetByKeyAsync(request.DriverId, request.IdempotencyKey, ct)
                       ?? throw new InvalidOperationException("The payment holding the idempotency key disappeared.");
        if (existing.Amount != row.Amount || existing.Currency != row.Currency || existing.ReferenceId != row.ReferenceId || existing.Purpose != row.Purpose)
            throw new ConflictException("This idempotency key was already used for a different charge.", new Dictionary<string, object?> { ["paymentId"] = existing.Id });
        return await FollowAsync(existing, ct);
    }

    /// <summary>Waits for the caller that holds the key; takes over only when its lease ran out (it crashed or hung).</summary>
    private async Task<PaymentOutcome> FollowAsync(PaymentRow row, CancellationToken ct)
    {
        var lease = TimeSpan.FromSeconds(options.Value.ChargeLeaseSeconds);
        while (row.InFlight)
        {
            var now = time.GetUtcNow();
            if (row.AttemptStartedAt is null || row.AttemptStartedAt + lease <= now)
            {
                if (await ledger.ClaimAsync(row.Id, row.AttemptStartedAt, now, ct)) return await DriveAsync(row, ct);
            }
            else await Task.Delay(FollowInterval, time, ct);
            row = await ledger.GetAsync(row.Id, ct) ?? throw new InvalidOperationException("The payment disappeared.");
        }
        return row.ToOutcome();
    }

    /// <param name="keepClaim">
    /// When no provider can answer, keep the claim instead of releasing it: for the scheduled work, which retries once the
    /// lease runs out again, rather than leave a charge that may have gone through waiting for a client that is gone.
    /// </param>
    private async Task<PaymentOutcome> DriveAsync(PaymentRow row, CancellationToken ct, bool keepClaim = false)
    {
        var methods = await wallet.ForDriverAsync(row.DriverId, ct);
        var currency = row.Currency;
        var metadata = new ChargeMetadata(row.Id, PaymentPurposeText.Parse(row.Purpose), row.ReferenceId, row.Description ?? $"SmartParking {row.Purpose}");
        var routed = await router.ChargeAsync(methods, Money.ToMinorUnits(row.Amount, currency), currency, metadata, ct);
        if (routed.Charge.FailureCode == PaymentRouter.Unavailable)
        {
            // Nobody could answer: not a decline. The payment stays pending and unclaimed, so the same key (a client retry)
            // drives it again at once, under the same provider keys: no charge is lost or doubled.
            if (!keepClaim) await ledger.ReleaseAsync(row.Id, CancellationToken.None);
            throw new ServiceUnavailableException("No payment provider can take the payment right now; retry with the same Idempotency-Key.", TimeSpan.FromSeconds(30));
        }
        // Not the caller's token: the provider has (maybe) taken money, so the answer must be recorded, and announced to
        // the modules waiting for it, even if the caller gave up. The row comes back as it stands: a webhook may have
        // moved the payment further while the provider call was out.
        var now = time.GetUtcNow();
        var recorded = await ledger.RecordChargeAsync(row.Id, routed, now, now.AddSeconds(options.Value.SettlementGraceSeconds), CancellationToken.None);
        await announcer.AnnounceAsync(recorded, CancellationToken.None);
        return recorded.ToOutcome();
    }

    /// <summary>
    /// Finishes a charge whose process died while the provider call was out (claimed, no answer recorded, lease run
    /// out): drives it under the same provider keys, so a charge the provider took is found, not made twice. The row
    /// as it stands afterwards; still pending when no provider could answer or another caller is driving it.
    /// </summary>
    internal async Task<PaymentRow> ResumeAsync(PaymentRow row, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (!row.InFlight || row.AttemptStartedAt is not { } started || started + TimeSpan.FromSeconds(options.Value.ChargeLeaseSeconds) > now) return row;
        if (await ledger.ClaimAsync(row.Id, started, now, ct))
        {
            try { await DriveAsync(row, ct, keepClaim: true); }
            catch (ServiceUnavailableException)
            {
                logger.LogWarning("Payment {PaymentId} was left in flight and no provider can answer now; retried when its lease runs out", row.Id);
            }
        }
        return await ledger.GetAsync(row.Id, ct) ?? row;
    }

    public async Task<IReadOnlyList<ReferencePayment>> ReconcileAsync(IReadOnlyCollection<Guid> referenceIds, CancellationToken ct)
    {
        if (referenceIds.Count == 0) return [];
        var rows = await ledger.ForReferencesAsync(referenceIds, ct);
        var answer = new List<ReferencePayment>(rows.Count);
        foreach (var found in rows)
        {
            var row = found.InFlight ? await ResumeAsync(found, ct) : found;
            answer.Add(new ReferencePayment(row.ReferenceId, PaymentPurposeText.Parse(row.Purpose), row.ToOutcome()));
        }
        return answer;
    }

    public async Task<RefundOutcome> RefundAsync(RefundRequest request, CancellationToken ct)
    {
        new Validation()
            .Check(request.Amount > 0, "amount", "must be more than zero.")
            .Required(request.IdempotencyKey, "idempotencyKey", 255)
            .MaxLength(request.Reason, "reason", 500)
            .ThrowIfInvalid();
        var now = time.GetUtcNow();
        PaymentRow payment;
        RefundRow refund;
        await using (var connection = await ledger.OpenAsync(ct))
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            // The payment row lock serialises refunds of one payment, so two can never together exceed the charge.
            payment = await PaymentLedger.LockPaymentAsync(connection, tx, request.PaymentId, ct) ?? throw new NotFoundException("Payment");
            if (await PaymentLedger.RefundByKeyAsync(connection, tx, payment.Id, request.IdempotencyKey, ct) is { } existing)
            {
                if (existing.Amount != request.Amount)
                    throw new ConflictException("This idempotency key was already used for a different refund.", new Dictionary<string, object?> { ["refundId"] = existing.Id });
                // A refund the provider never answered (it was unreachable) is sent again under its own key.
                if (existing.State != States.Pending || existing.ProviderReference is not null || payment.Provider is null || payment.ProviderReference is null)
                    return existing.ToOutcome();
                await tx.CommitAsync(ct);
                return await DriveRefundAsync(payment, existing, ct);
            }
            if (payment.State != States.Succeeded || payment.ProviderReference is null || payment.Provider is null)
                throw new ConflictException("Only a succeeded payment can be refunded.", new Dictionary<string, object?> { ["state"] = payment.State });
            new Validation().Check(Money.IsRepresentable(request.Amount, payment.Currency), "amount", "has more decimals than the currency allows.").ThrowIfInvalid();
            var refundable = payment.Amount - await PaymentLedger.RefundedOrHeldAsync(connection, tx, payment.Id, ct);
            if (request.Amount > refundable)
                throw new ConflictException("The refund is more than what is left of the payment.", new Dictionary<string, object?> { ["refundable"] = refundable });
            refund = new RefundRow
            {
                Id = Guid.CreateVersion7(),
                PaymentId = payment.Id,
                Amount = request.Amount,
                Currency = payment.Currency,
                Reason = request.Reason,
                State = States.Pending,
                IdempotencyKey = request.IdempotencyKey,
                CreatedAt = now,
            };
            await ledger.InsertRefundAsync(connection, tx, payment, refund, ct);
            await tx.CommitAsync(ct);
        }

        return await DriveRefundAsync(payment, refund, ct);
    }

    private async Task<RefundOutcome> DriveRefundAsync(PaymentRow payment, RefundRow refund, CancellationToken ct)
    {
        var answer = await router.RefundAsync(payment.Provider!, payment.ProviderReference!, Money.ToMinorUnits(refund.Amount, refund.Currency), refund.Currency, refund.Id, ct)
            ?? throw new ServiceUnavailableException("The payment provider cannot take the refund right now; retry with the same key.", TimeSpan.FromSeconds(30));
        await using (var connection = await ledger.OpenAsync(CancellationToken.None))
        await using (var tx = await connection.BeginTransactionAsync(CancellationToken.None))
        {
            await ledger.RecordRefundAsync(connection, tx, payment, refund.Id, answer.State, answer.Reference, answer.FailureMessage, time.GetUtcNow(), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }
        return (await ledger.GetRefundAsync(refund.Id, CancellationToken.None)).ToOutcome();
    }

    /// <summary>As the contract says: the succeeded payments, which are what a refund decision looks at.</summary>
    public async Task<IReadOnlyList<PaymentOutcome>> PaymentsForAsync(Guid referenceId, CancellationToken ct) =>
        (await ledger.ForReferenceAsync(referenceId, ct)).Where(p => p.State == States.Succeeded).Select(p => p.ToOutcome()).ToList();
}
