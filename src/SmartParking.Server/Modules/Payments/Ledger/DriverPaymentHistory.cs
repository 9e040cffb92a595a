using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Payments.Ledger;

public sealed class DriverPaymentHistory(NpgsqlDataSource db) : IDriverPayments
{
    public async Task<IReadOnlyList<DriverPayment>> RecentAsync(Guid driverId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            select p.id, p.reference_id as ReferenceId, p.purpose, p.description, p.amount, p.currency, p.state, p.created_at as At,
                coalesce((select sum(r.amount) from refunds r where r.payment_id = p.id and r.state = 'succeeded'), 0) as Refunded
            from payments p where p.driver_id = @driverId
            order by p.created_at desc, p.id desc limit @limit
            """, new { driverId, limit }, cancellationToken: ct));
        return rows.Select(r => new DriverPayment(r.Id, r.ReferenceId, PaymentPurposeText.Parse(r.Purpose), r.Description, r.Amount, r.Currency,
            States.Parse(r.State), r.Refunded, r.At)).ToList();
    }

    private sealed record Row(Guid Id, Guid ReferenceId, string Purpose, string? Description, decimal Amount, string Currency, string State, DateTimeOffset At, decimal Refunded);
}
