using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Payments.Ledger;

/// <summary>
/// Payments with their refunds, and providers' webhook records, past the tenant's financial-record retention (seven years
/// at least: bookkeeping). A payment still pending is never removed.
/// </summary>
public sealed class FinancialRecordRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.FinancialRecords.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        long refunds = 0;
        var payments = await scope.InBatchesAsync(async batch =>
        {
            await using var tx = await connection.BeginTransactionAsync(batch);
            var due = (await connection.QueryAsync<Guid>(new CommandDefinition($"""
                select p.id from payments p where p.state <> 'pending' and {RetentionScope.IsDueSql("p.tenant_id", "p.created_at")}
                order by p.created_at limit @batchSize for update skip locked
                """, scope.Parameters(), tx, cancellationToken: batch))).ToArray();
            refunds += await connection.ExecuteAsync(new CommandDefinition(
                "delete from refunds where payment_id = any(@due)", new { due }, tx, cancellationToken: batch));
            await connection.ExecuteAsync(new CommandDefinition("delete from payments where id = any(@due)", new { due }, tx, cancellationToken: batch));
            await tx.CommitAsync(batch);
            return due.Length;
        }, ct);
        var webhooks = await scope.ExecuteInBatchesAsync(connection, """
            delete from webhook_events where (provider, event_id) in (
                select provider, event_id from webhook_events where received_at < @defaultCutoff limit @batchSize)
            """, ct);
        return RetentionOutcome.Deleted(payments + refunds + webhooks);
    }
}
