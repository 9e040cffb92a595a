using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Privacy;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// Raw readings past Ingest:RetentionDays (the platform-wide <see cref="RetentionClasses.Readings"/>): their daily
/// partitions are archived, then dropped whole, which takes no row locks however large they are.
/// </summary>
public sealed class ReadingRetention(NpgsqlDataSource db, ReadingPartitions partitions, IOptions<IngestOptions> options) : IRetentionRule
{
    public string DataClass => RetentionClasses.Readings.Name;

    public async Task<RetentionOutcome> ApplyAsync(RetentionScope scope, CancellationToken ct)
    {
        var oldestKept = DateOnly.FromDateTime(scope.Now.UtcDateTime).AddDays(-options.Value.RetentionDays);
        var before = oldestKept.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var connection = await db.OpenConnectionAsync(ct);
        // Counted on the expired partitions only (partition pruning), which their archiving reads whole anyway.
        Task<long> Expired() => connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from sensor_readings where observed_at < @before", new { before }, cancellationToken: ct));
        var due = await Expired();
        if (due == 0) return default;
        await partitions.DropExpiredAsync(connection, oldestKept, ct);
        return RetentionOutcome.Deleted(due - await Expired());
    }
}
