using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace SmartParking.Server.Modules.Analytics.History;

/// <summary>The import's SQL: hourly rows into lot_occupancy_hourly and the record of each import in occupancy_imports.</summary>
internal static class HistoryStore
{
    /// <summary>What writing the hours did per lot.</summary>
    public sealed record Written(IReadOnlyDictionary<Guid, int> HoursWritten, int HoursReplaced);

    /// <summary>
    /// In the caller's transaction: the lots' hours (resampled one lot at a time, so only one lot's hours are in memory)
    /// go by binary COPY into a temporary table; the hours earlier imports wrote over each lot's span in this file are
    /// deleted, so importing a file again replaces what it wrote before; then one upsert writes every hour no live
    /// rollup holds. Imports of one tenant take turns.
    /// </summary>
    public static async Task<Written> WriteHoursAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenant, IEnumerable<LotReadings> lots, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_xact_lock(hashtextextended('occupancy_import:' || @tenant::text, 0))", new { tenant }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            create temp table import_hours (lot_id uuid not null, hour timestamptz not null, occupancy double precision not null,
                peak double precision not null, capacity integer not null, samples integer not null) on commit drop
            """, transaction: tx, cancellationToken: ct));
        await using (var copy = await connection.BeginBinaryImportAsync(
            "copy import_hours (lot_id, hour, occupancy, peak, capacity, samples) from stdin (format binary)", ct))
        {
            foreach (var lot in lots)
            {
                foreach (var hour in lot.Resample())
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(lot.LotId, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(hour.Hour, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(hour.Occupancy, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(hour.Peak, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(hour.Capacity, NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync(hour.Samples, NpgsqlDbType.Integer, ct);
                }
            }
            await copy.CompleteAsync(ct);
        }
        var replaced = await connection.ExecuteAsync(new CommandDefinition("""
            delete from lot_occupancy_hourly h
            using (select lot_id, min(hour) as first_hour, max(hour) as last_hour from import_hours group by lot_id) span
            where h.lot_id = span.lot_id and h.hour between span.first_hour and span.last_hour and h.source = 'import' and h.tenant_id = @tenant
            """, new { tenant }, tx, cancellationToken: ct));
        var written = await connection.QueryAsync<(Guid LotId, int Hours)>(new CommandDefinition("""
            with written as (
                insert into lot_occupancy_hourly as h (tenant_id, lot_id, hour, occupancy, peak, capacity, samples, source)
                select @tenant, lot_id, hour, occupancy, peak, capacity, samples, 'import' from import_hours
                on conflict (lot_id, hour) do update
                    set tenant_id = excluded.tenant_id, occupancy = excluded.occupancy, peak = excluded.peak,
                        capacity = excluded.capacity, samples = excluded.samples
                    where h.source = 'import'
                returning h.lot_id)
            select lot_id, count(*)::int from written group by lot_id
            """, new { tenant }, tx, cancellationToken: ct));
        return new Written(written.ToDictionary(w => w.LotId, w => w.Hours), replaced);
    }

    public static Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction tx, HistoryImportReport report, Guid userId, string reportJson, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into occupancy_imports (id, tenant_id, imported_by, imported_at, file_name, rows_read, rows_kept, hours_written, report)
            values (@Id, @TenantId, @userId, @ImportedAt, @FileName, @RowsRead, @RowsKept, @HoursWritten, @reportJson::jsonb)
            """, new { report.Id, report.TenantId, userId, report.ImportedAt, report.FileName, report.RowsRead, report.RowsKept, report.HoursWritten, reportJson },
            tx, cancellationToken: ct));

    /// <summary>The latest imports; <see cref="SummaryRow.ImportedBy"/> is the author's account id, for the caller to name.</summary>
    public static async Task<IReadOnlyList<SummaryRow>> ListAsync(NpgsqlConnection connection, Guid? tenant, int limit, CancellationToken ct) =>
        (await connection.QueryAsync<SummaryRow>(new CommandDefinition("""
            select id, imported_at, imported_by, file_name, rows_read, rows_kept, hours_written
            from occupancy_imports where @tenant::uuid is null or tenant_id = @tenant
            order by imported_at desc, id limit @limit
            """, new { tenant, limit }, cancellationToken: ct))).ToList();

    /// <summary>An import's report as stored (without its author) and the author's account id.</summary>
    public static Task<(string Report, Guid ImportedBy)?> ReportAsync(NpgsqlConnection connection, Guid? tenant, Guid id, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<(string Report, Guid ImportedBy)?>(new CommandDefinition(
            "select report::text, imported_by from occupancy_imports where id = @id and (@tenant::uuid is null or tenant_id = @tenant)", new { id, tenant }, cancellationToken: ct));

    public sealed class SummaryRow
    {
        public Guid Id { get; init; }
        public DateTimeOffset ImportedAt { get; init; }
        public Guid ImportedBy { get; init; }
        public string FileName { get; init; } = "";
        public int RowsRead { get; init; }
        public int RowsKept { get; init; }
        public int HoursWritten { get; init; }
    }
}
