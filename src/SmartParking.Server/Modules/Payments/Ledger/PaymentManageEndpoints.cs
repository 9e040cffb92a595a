using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>The ledger as operators see it: their tenant's payments only (admins: all, or one tenant).</summary>
public static class PaymentManageEndpoints
{
    public static void MapPaymentManageEndpoints(this IEndpointRouteBuilder app)
    {
        var manage = app.MapGroup("/api/v1/manage/payments").WithTags("Payments").RequireAuthorization(Policies.Operator);
        manage.MapGet("", List);
        manage.MapPost("/{id:guid}/refunds", Refund);
    }

    private static Task<RefundOutcome> Refund(Guid id, OperatorRefundRequest request, ClaimsPrincipal principal, PaymentRefunds refunds, CancellationToken ct) =>
        refunds.RefundAsync(principal, id, request, ct);

    private static Task<Page<PaymentView>> List(ClaimsPrincipal principal, PaymentsTable table, Guid? referenceId, Guid? driverId, string? state, string? provider,
        int? page, int? pageSize, string? sort, string? dir, Guid? tenantId, CancellationToken ct) =>
        table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir).With("tenantId", tenantId).With("referenceId", referenceId)
            .With("driverId", driverId).With("state", state).With("provider", provider), ct);
}
