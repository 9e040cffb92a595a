using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Chat.Handoff;

/// <summary>
/// Chat transcripts past retention: closed hand-overs (with every message, by cascade) by their tenant's period, and any
/// conversation silent that long (conversations are tenant-less and normally gone after Chat:RetentionHours already).
/// </summary>
public sealed class ChatTranscriptRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.ChatTranscripts.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var handoffs = await scope.ExecuteInBatchesAsync(connection, $"""
            delete from chat_handoffs where id in (
                select h.id from chat_handoffs h where h.status = 'closed' and {RetentionScope.IsDueSql("h.tenant_id", "h.closed_at")} limit @batchSize)
            """, ct);
        var conversations = await scope.ExecuteInBatchesAsync(connection, """
            delete from chat_conversations where (channel, sender) in (
                select channel, sender from chat_conversations where last_active_at < @defaultCutoff limit @batchSize)
            """, ct);
        return RetentionOutcome.Deleted(handoffs + conversations);
    }
}
