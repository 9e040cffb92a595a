using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

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
    public static void MapPaymentManageEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/manage/payments", List).WithTags("Payments").RequireAuthorization(Policies.Operator);

    private static async Task<Page<PaymentView>> List(ClaimsPrincipal principal, NpgsqlDataSource db, Guid? referenceId, Guid? driverId, string? state,
        int? page, int? pageSize, Guid? tenantId, CancellationToken ct)
    {
        var paging = Paging.From(page, pageSize);
        new Validation().OneOf(state, "state", [States.Pending, States.Succeeded, States.Failed], required: false).ThrowIfInvalid();
        var scope = principal.TenantScope(tenantId);
        const string where = """
            where (@scope::uuid is null or p.tenant_id = @scope) and (@referenceId::uuid is null or p.reference_id = @referenceId)
              and (@driverId::uuid is null or p.driver_id = @driverId) and (@state::text is null or p.state = @state)
            """;
        var args = new { scope, referenceId, driverId, state, paging.PageSize, paging.Offset };
        await using var connection = await db.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) from payments p {where}", args, cancellationToken: ct));
        var items = await connection.QueryAsync<PaymentView>(new CommandDefinition($"""
            select p.id, p.tenant_id, p.driver_id, p.purpose, p.reference_id, p.amount, p.currency::text as currency, p.state, p.provider, p.provider_reference,
                   p.failure_code, p.failure_message,
                   coalesce((select sum(r.amount) from refunds r where r.payment_id = p.id and r.state = 'succeeded'), 0) as refunded,
                   p.created_at, p.updated_at
            from payments p {where}
            order by p.created_at desc, p.id desc limit @PageSize offset @Offset
            """, args, cancellationToken: ct));
        return new Page<PaymentView>(items.ToList(), paging.Page, paging.PageSize, total);
    }
}
