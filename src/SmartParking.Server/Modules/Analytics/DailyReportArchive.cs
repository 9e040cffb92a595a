using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Analytics.DailyReports;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Exports;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>
/// The stored daily reports, for the API and the dashboard: a list, and each day's PDF or workbook by its file name
/// ("2026-12-04.pdf", "2026-12-04.xlsx"). An operator gets their tenant's; an administrator names the tenant. Another
/// tenant's report is a 404, the same as one that does not exist.
/// </summary>
public sealed partial class DailyReportArchive(DailyReportStore store, IOptions<DailyReportOptions> options)
{
    public Task<IReadOnlyList<DailyReportInfo>> ListAsync(ClaimsPrincipal user, Guid? tenantId, CancellationToken ct) =>
        store.ListAsync(user.TenantScope() ?? tenantId, options.Value.RetentionDays, ct);

    public async Task<TableFile> FileAsync(ClaimsPrincipal user, string file, Guid? tenantId, CancellationToken ct)
    {
        var match = FileNamePattern().Match(file);
        if (!match.Success) throw new NotFoundException("Daily report");
        if (!DateOnly.TryParseExact(match.Groups["date"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            throw new ValidationException("date", "must be a date as yyyy-MM-dd.");
        var tenant = user.TenantScope() ?? tenantId ?? throw new ValidationException("tenantId", "an administrator names the tenant whose report it is.");
        var stored = await store.FindAsync(tenant, date, ct) ?? throw new NotFoundException("Daily report");
        return match.Groups["format"].Value == "pdf"
            ? new TableFile(DailyReportFiles.FileName(date, "pdf"), TableExport.PdfType, stored.Pdf)
            : new TableFile(DailyReportFiles.FileName(date, "xlsx"), TableExport.XlsxType, stored.Xlsx);
    }

    /// <summary>The file name of a day's report in a format, as <see cref="FileAsync"/> takes it.</summary>
    public static string FileOf(DateOnly date, string format) => $"{date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.{format}";

    [GeneratedRegex(@"^(?<date>[0-9-]{1,20})\.(?<format>pdf|xlsx)$")]
    private static partial Regex FileNamePattern();
}
