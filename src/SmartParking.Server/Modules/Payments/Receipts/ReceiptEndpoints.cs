using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Payments.Ledger;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Payments.Receipts;

/// <summary>Receipts per reservation or session, for the driver who paid or an operator of the tenant; JSON or PDF.</summary>
public static class ReceiptEndpoints
{
    public static void MapReceiptEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/payments/receipts/{referenceId:guid}", Get).WithTags("Payments").RequireAuthorization(Policies.Driver);
        // The web pages' download link: the same receipt as a PDF, for the signed-in browser (cookie, not bearer).
        app.MapGet("/me/receipts/{referenceId:guid}", (Guid referenceId, HttpRequest request, ClaimsPrincipal user, IAuthorizationService authorization,
                PaymentLedger ledger, TimeProvider time, CancellationToken ct) => Get(referenceId, "pdf", request, user, authorization, ledger, time, ct))
            .RequireAuthorization(Policies.Driver).ExcludeFromDescription();
    }

    private static async Task<IResult> Get(Guid referenceId, string? format, HttpRequest request, ClaimsPrincipal user, IAuthorizationService authorization,
        PaymentLedger ledger, TimeProvider time, CancellationToken ct)
    {
        new Validation().OneOf(format, "format", ["json", "pdf"], required: false).ThrowIfInvalid();
        var me = user.UserId();
        var isOperator = (await authorization.AuthorizeAsync(user, Policies.Operator)).Succeeded;
        Guid? scope = isOperator ? user.TenantScope() : null;
        // Someone else's reference looks exactly like a missing one.
        var payments = (await ledger.ForReferenceAsync(referenceId, ct))
            .Where(p => p.DriverId == me || (isOperator && (scope is null || p.TenantId == scope)))
            .ToList();
        if (payments.Count == 0) throw new NotFoundException("Receipt");
        var refunds = await ledger.RefundsForAsync(payments.Select(p => p.Id), ct);
        var receipt = Build(referenceId, payments, refunds, time.GetUtcNow());

        var wantsPdf = format == "pdf" || (format is null && request.Headers.Accept.Any(a => a?.Contains("application/pdf", StringComparison.OrdinalIgnoreCase) == true));
        return wantsPdf
            ? TypedResults.File(ReceiptPdf.Render(receipt), "application/pdf", $"receipt-{referenceId}.pdf")
            : TypedResults.Ok(receipt);
    }

    internal static Receipt Build(Guid referenceId, IReadOnlyList<PaymentRow> payments, IReadOnlyList<RefundRow> refunds, DateTimeOffset now)
    {
        var charges = payments.Select(p => new ReceiptCharge(p.Id, p.Purpose, p.Description, p.Amount, p.Currency, p.State, p.Provider ?? "none", p.FailureCode, p.CreatedAt, p.UpdatedAt)).ToList();
        var refundLines = refunds.Select(r => new ReceiptRefund(r.Id, r.PaymentId, r.Amount, r.Currency, r.State, r.Reason, r.CreatedAt)).ToList();
        var totals = charges.Select(c => c.Currency).Concat(refundLines.Select(r => r.Currency)).Distinct().Order(StringComparer.Ordinal)
            .Select(currency =>
            {
                var charged = charges.Where(c => c.Currency == currency && c.State == States.Succeeded).Sum(c => c.Amount);
                var refunded = refundLines.Where(r => r.Currency == currency && r.State == States.Succeeded).Sum(r => r.Amount);
                return new ReceiptTotal(currency, charged, refunded, charged - refunded);
            })
            .ToList();
        var zone = payments.Select(p => p.TimeZone).FirstOrDefault(z => z is not null) ?? "UTC";
        return new Receipt(referenceId, now, totals.Count == 1 ? totals[0].Currency : null, zone, charges, refundLines, totals);
    }
}
