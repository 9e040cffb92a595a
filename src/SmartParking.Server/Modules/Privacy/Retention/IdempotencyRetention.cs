using Npgsql;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Privacy.Retention;

/// <summary>Idempotency records are the platform's (Platform.Http), not a module's: this rule asks it to forget old ones.</summary>
public sealed class IdempotencyRetention(NpgsqlDataSource db) : IRetentionRule
{
    public string DataClass => RetentionClasses.IdempotencyRecords.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return RetentionOutcome.Deleted(await scope.InBatchesAsync(batch => Idempotency.PurgeAsync(connection, scope.DefaultCutoff, scope.BatchSize, batch), ct));
    }
}
