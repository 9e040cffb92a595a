using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Payments.Ledger;

public sealed class PaymentView
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public Guid DriverId { get; init; }
    public string Purpose { get; init; } = "";
    public Guid ReferenceId { get; init; }
    public decimal Amount { get; init; }
    public string Currency { get; init; } = "";
    public string State { get; init; } = "";
    public string? Provider { get; init; }
    public string? ProviderReference { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public decimal Refunded { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

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
