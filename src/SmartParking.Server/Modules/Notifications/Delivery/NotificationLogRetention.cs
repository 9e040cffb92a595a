using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Notifications.Delivery;

/// <summary>
/// Notifications (address, subject, text and attachments, by cascade) queued before the tenant's notification-log
/// retention; one still waiting to be sent is kept.
/// </summary>
public sealed class NotificationLogRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.NotificationLog.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return RetentionOutcome.Deleted(await scope.ExecuteInBatchesAsync(connection, $"""
            delete from notification_messages where id in (
                select n.id from notification_messages n where n.status <> 'queued' and {RetentionScope.IsDueSql("n.tenant_id", "n.queued_at")} limit @batchSize)
            """, ct));
    }
}
