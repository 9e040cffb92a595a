using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>
/// The ledger as operators see it: their tenant's payments with what has been refunded of each. Filters: state,
/// provider, purpose, referenceId, driverId, from/to (created), tenantId (admins).
/// </summary>
public sealed class PaymentsTable(NpgsqlDataSource db) : DataTable<PaymentView>(db)
{
    private static readonly string[] Purposes = Enum.GetValues<PaymentPurpose>().Select(PaymentPurposeText.Of).ToArray();

    public static readonly TableDefinition<PaymentView> Table = new("payments", "Payments",
    [
        new("createdAt", "Created", p => p.CreatedAt, ColumnKind.Instant, "p.created_at"),
        new("purpose", "Purpose", p => p.Purpose, SortSql: "p.purpose"),
        new("state", "State", p => p.State, SortSql: "p.state"),
        new("provider", "Provider", p => p.Provider, SortSql: "p.provider"),
        new("amount", "Amount", p => p.Amount, ColumnKind.Money, "p.amount"),
        new("refunded", "Refunded", p => p.Refunded, ColumnKind.Money, "refunded"),
        new("currency", "Currency", p => p.Currency, SortSql: "p.currency"),
        new("referenceId", "Reference", p => p.ReferenceId),
        new("failureCode", "Failure", p => p.FailureCode, SortSql: "p.failure_code"),
        new("id", "Id", p => p.Id),
    ], "createdAt", SortDirection.Descending, "p.id") { PersonalData = true };

    public override TableDefinition<PaymentView> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var args = new
        {
            scope = user.TenantScope(request.Guid("tenantId")), referenceId = request.Guid("referenceId"), driverId = request.Guid("driverId"),
            state = request.OneOf("state", [States.Pending, States.Succeeded, States.Failed]), provider = request.Text("provider", 40),
            purpose = request.OneOf("purpose", Purposes), from = request.Instant("from"), to = request.Instant("to"),
        };
        return Task.FromResult(new TableSql("""
            select p.id, p.tenant_id, p.driver_id, p.purpose, p.reference_id, p.amount, p.currency::text as currency, p.state, p.provider, p.provider_reference,
                   p.failure_code, p.failure_message,
                   coalesce((select sum(r.amount) from refunds r where r.payment_id = p.id and r.state = 'succeeded'), 0) as refunded,
                   p.created_at, p.updated_at
            """, "from payments p", """
            where (@scope::uuid is null or p.tenant_id = @scope) and (@referenceId::uuid is null or p.reference_id = @referenceId)
              and (@driverId::uuid is null or p.driver_id = @driverId) and (@state::text is null or p.state = @state)
              and (@provider::text is null or p.provider = @provider) and (@purpose::text is null or p.purpose = @purpose)
              and (@from::timestamptz is null or p.created_at >= @from) and (@to::timestamptz is null or p.created_at < @to)
            """, args));
    }
}
