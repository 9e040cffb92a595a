using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Analytics.DailyReports;

/// <summary>The daily_reports table: one row per tenant and local day, with both files.</summary>
public sealed class DailyReportStore(NpgsqlDataSource db)
{
    /// <summary>The tenant's reports from <paramref name="since"/> on (the job's view of what is done).</summary>
    public async Task<Dictionary<(Guid TenantId, DateOnly Date), DateTimeOffset?>> RecentAsync(DateOnly since, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid TenantId, DateTime Date, DateTimeOffset? EmailedAt)>(new CommandDefinition(
            "select tenant_id, local_date::timestamp, emailed_at from daily_reports where local_date >= @since::date", new { since = Day(since) }, cancellationToken: ct)))
            .ToDictionary(r => (r.TenantId, DateOnly.FromDateTime(r.Date)), r => r.EmailedAt);
    }

    /// <summary>Stores the report unless the day already has one; true when this call stored it.</summary>
    public async Task<bool> TryAddAsync(DailyReport report, string summary, byte[] pdf, byte[] xlsx, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            insert into daily_reports (tenant_id, local_date, time_zone, generated_at, summary, pdf, xlsx)
            values (@TenantId, @date::date, @TimeZone, @GeneratedAt, @summary, @pdf, @xlsx)
            on conflict (tenant_id, local_date) do nothing
            """, new { report.TenantId, date = Day(report.Date), report.TimeZone, report.GeneratedAt, summary, pdf, xlsx }, cancellationToken: ct)) == 1;
    }

    public async Task<StoredReport?> FindAsync(Guid tenantId, DateOnly date, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<StoredReport>(new CommandDefinition(
            "select summary, pdf, xlsx from daily_reports where tenant_id = @tenantId and local_date = @date::date", new { tenantId, date = Day(date) }, cancellationToken: ct));
    }

    public async Task MarkEmailedAsync(Guid tenantId, DateOnly date, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update daily_reports set emailed_at = @at where tenant_id = @tenantId and local_date = @date::date", new { tenantId, date = Day(date), at }, cancellationToken: ct));
    }

    /// <summary>Newest first; every tenant's for a null tenant (an administrator).</summary>
    public async Task<IReadOnlyList<DailyReportInfo>> ListAsync(Guid? tenantId, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid TenantId, DateTime Date, string TimeZone, DateTimeOffset GeneratedAt, DateTimeOffset? EmailedAt, int PdfBytes, int XlsxBytes)>(
            new CommandDefinition("""
                select tenant_id, local_date::timestamp, time_zone, generated_at, emailed_at, octet_length(pdf), octet_length(xlsx) from daily_reports
                where @tenantId::uuid is null or tenant_id = @tenantId
                order by local_date desc, tenant_id limit @limit
                """, new { tenantId, limit }, cancellationToken: ct)))
            .Select(r => new DailyReportInfo(r.TenantId, DateOnly.FromDateTime(r.Date), r.TimeZone, r.GeneratedAt, r.EmailedAt, r.PdfBytes, r.XlsxBytes)).ToList();
    }

    /// <summary>Deletes reports of days before <paramref name="before"/>; answers how many.</summary>
    public async Task<int> DeleteBeforeAsync(DateOnly before, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("delete from daily_reports where local_date < @before::date", new { before = Day(before) }, cancellationToken: ct));
    }

    // Dates travel as midnight timestamps and are cast in SQL: one mapping whatever the driver does with DateOnly.
    private static DateTime Day(DateOnly date) => date.ToDateTime(TimeOnly.MinValue);

    public sealed class StoredReport
    {
        public string Summary { get; init; } = "";
        public byte[] Pdf { get; init; } = [];
        public byte[] Xlsx { get; init; } = [];
    }
}
