using System.Globalization;
using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Payments.Ledger;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Payments;

public sealed record OperatorRefundRequest(decimal? Amount, string? Reason);

/// <summary>
/// Refunds an operator decides on (a goodwill gesture, a wrong charge), for their own tenant's payments. The amount
/// defaults to what is left of the payment; the idempotency key is fixed by what was refunded before, so a double click
/// or a retry sends one refund, never two.
/// </summary>
public sealed class PaymentRefunds(PaymentLedger ledger, PaymentService payments, AuditLog audit)
{
    public async Task<RefundOutcome> RefundAsync(ClaimsPrincipal operatorUser, Guid paymentId, OperatorRefundRequest request, CancellationToken ct)
    {
        new Validation()
            .Check(request.Amount is null or > 0, "amount", "must be more than zero.")
            .MaxLength(request.Reason, "reason", 500)
            .ThrowIfInvalid();
        var payment = await ledger.GetAsync(paymentId, ct);
        if (payment is null || operatorUser.TenantScope() is { } tenant && payment.TenantId != tenant) throw new NotFoundException("Payment");
        if (payment.State != States.Succeeded) throw new ConflictException("Only a succeeded payment can be refunded.", new Dictionary<string, object?> { ["state"] = payment.State });
        decimal refunded;
        await using (var connection = await ledger.OpenAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
            refunded = await PaymentLedger.RefundedOrHeldAsync(connection, tx, paymentId, ct);
        var left = payment.Amount - refunded;
        if (left <= 0) throw new ConflictException("This payment has been refunded in full already.");
        var amount = request.Amount ?? left;
        var key = string.Create(CultureInfo.InvariantCulture, $"refund:{paymentId}:operator:{refunded}:{amount}");
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "Refunded by the operator" : request.Reason.Trim();
        var outcome = await payments.RefundAsync(new RefundRequest(paymentId, amount, key, reason), ct);
        await using (var connection = await ledger.OpenAsync(ct))
            await audit.RecordAsync(connection, null, operatorUser, payment.TenantId, "payment.refunded", "payment", paymentId,
                new { outcome.RefundId, amount, outcome.Currency, state = outcome.State.ToString(), reason }, ct);
        return outcome;
    }

    /// <summary>Refunds what is left of every succeeded payment for a reservation or meter session of the operator's tenant.</summary>
    public async Task<IReadOnlyList<RefundOutcome>> RefundReferenceAsync(ClaimsPrincipal operatorUser, Guid referenceId, string? reason, CancellationToken ct)
    {
        var scope = operatorUser.TenantScope();
        var paid = (await ledger.ForReferenceAsync(referenceId, ct)).Where(p => p.State == States.Succeeded && (scope is null || p.TenantId == scope)).ToList();
        if (paid.Count == 0) throw new ConflictException("Nothing has been paid for this that could be refunded.");
        var outcomes = new List<RefundOutcome>();
        foreach (var payment in paid)
        {
            try { outcomes.Add(await RefundAsync(operatorUser, payment.Id, new OperatorRefundRequest(null, reason), ct)); }
            catch (ConflictException) when (paid.Count > 1) { /* this one was refunded already; the others still are due */ }
        }
        return outcomes.Count > 0 ? outcomes : throw new ConflictException("Everything paid for this has been refunded already.");
    }
}
