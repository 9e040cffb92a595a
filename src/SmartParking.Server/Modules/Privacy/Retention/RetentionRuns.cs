using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Privacy.Retention;

/// <summary>What one run did for one data class: rows deleted and pseudonymised, or why it failed.</summary>
public sealed record RetentionRunEntry(Guid RunId, string DataClass, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, long Removed, long Pseudonymised, string? Error);

/// <summary>The record of retention runs (<c>retention_runs</c>): a row per run and data class.</summary>
public sealed class RetentionRuns(NpgsqlDataSource db)
{
    public async Task RecordAsync(RetentionRunEntry entry, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into retention_runs (run_id, data_class, started_at, finished_at, removed, pseudonymised, error)
            values (@RunId, @DataClass, @StartedAt, @FinishedAt, @Removed, @Pseudonymised, @Error)
            """, entry, cancellationToken: ct));
    }

    /// <summary>When the last run started, or null before the first.</summary>
    public async Task<DateTimeOffset?> LastStartedAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<DateTimeOffset?>(new CommandDefinition("select max(started_at) from retention_runs", cancellationToken: ct));
    }

    /// <summary>The newest <paramref name="runs"/> runs, each with its rows per class, newest first.</summary>
    public async Task<IReadOnlyList<RetentionRunEntry>> LatestAsync(int runs, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<RetentionRunEntry>(new CommandDefinition("""
            select run_id, data_class, started_at, finished_at, removed, pseudonymised, error from retention_runs
            where run_id in (select run_id from retention_runs group by run_id order by max(started_at) desc limit @runs)
            order by started_at desc, data_class
            """, new { runs }, cancellationToken: ct))).ToList();
    }
}
