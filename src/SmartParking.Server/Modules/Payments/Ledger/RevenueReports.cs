using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>Revenue from the payments ledger, the one record of money that actually moved, for reports and charts.</summary>
public sealed class RevenueReports(NpgsqlDataSource db) : IRevenueReports
{
    private const string Movements = """
        select p.created_at as at, p.currency, p.amount as charged, 0::numeric as refunded, p.reference_id, p.purpose
        from payments p
        where p.state = 'succeeded' and (@tenant::uuid is null or p.tenant_id = @tenant) and p.created_at >= @from and p.created_at < @to
        union all
        select r.created_at, p.currency, 0, r.amount, p.reference_id, p.purpose
        from refunds r join payments p on p.id = r.payment_id
        where r.state = 'succeeded' and (@tenant::uuid is null or p.tenant_id = @tenant) and r.created_at >= @from and r.created_at < @to
        """;

    /// <summary>Every day of [from, to) that had money in or out, per currency, oldest first.</summary>
    public async Task<IReadOnlyList<RevenueDay>> ByDayAsync(Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime Day, string Currency, decimal Charged, decimal Refunded)>(new CommandDefinition($"""
            select date_trunc('day', at at time zone 'UTC') as day, currency::text, sum(charged), sum(refunded)
            from ({Movements}) m group by 1, 2 order by 1, 2
            """, new { tenant, from, to }, cancellationToken: ct));
        return rows.Select(r => new RevenueDay(DateOnly.FromDateTime(r.Day), r.Currency.Trim(), r.Charged, r.Refunded, r.Charged - r.Refunded)).ToList();
    }

    /// <summary>Net revenue per reservation or session over [from, to), to be attributed to lots by their owners.</summary>
    public async Task<IReadOnlyList<ReferenceRevenue>> ByReferenceAsync(Guid? tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid ReferenceId, string Purpose, string Currency, decimal Net)>(new CommandDefinition($"""
            select reference_id, min(purpose), currency::text, sum(charged) - sum(refunded)
            from ({Movements}) m group by reference_id, currency
            """, new { tenant, from, to }, cancellationToken: ct)))
            .Select(r => new ReferenceRevenue(r.ReferenceId, r.Purpose, r.Currency.Trim(), r.Net)).ToList();
    }
}
