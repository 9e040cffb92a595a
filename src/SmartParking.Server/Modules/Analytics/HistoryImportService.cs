using System.Buffers;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Analytics.Forecasting;
using SmartParking.Server.Modules.Analytics.History;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Analytics;

/// <summary>
/// Occupancy history from another system: a CSV (lot,capacity,occupied,observed_at, or the CityPulse columns) is
/// cleaned, resampled to hourly occupancy and written into lot_occupancy_hourly as source 'import' in one transaction,
/// with a report of what was kept, clipped and dropped. A file is refused as a whole (400, nothing written) when its
/// header lacks a column, it has no data rows, a time has no offset and no time zone was given, or more than half its
/// rows cannot be read; otherwise unreadable rows are dropped and reported by row and column.
/// </summary>
public sealed class HistoryImportService(NpgsqlDataSource db, LotCatalog lots, IAccountContacts accounts, TimeProvider time, IOptions<HistoryImportOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The largest file accepted (Analytics:ImportMaxBytes).</summary>
    public long MaxBytes => options.Value.ImportMaxBytes;

    /// <summary>Imports into the operator's tenant (an admin names it); timeZone is the IANA zone of times without an offset.</summary>
    public async Task<HistoryImportReport> ImportAsync(ClaimsPrincipal user, Guid? tenantId, Stream upload, string? fileName, string? timeZone, CancellationToken ct)
    {
        var tenant = user.TenantForWrite(tenantId);
        if (user.IsAdmin() && await lots.TenantNameAsync(tenant, ct) is null) throw new ValidationException("tenantId", "is not a tenant.");
        var zone = Zone(timeZone);
        var name = Printable.Text(string.IsNullOrWhiteSpace(fileName) ? "upload.csv" : Path.GetFileName(fileName.Trim()), 200);
        await using var spooled = await SpoolAsync(upload, ct);
        if (spooled.Length == 0)
            throw new ValidationException("body", "is empty: send a CSV with the header lot,capacity,occupied,observed_at and one row per reading.");
        var file = Parse(spooled, zone, await lots.NamesAsync(tenant, ct), ct);

        var lotsInFile = file.Lots.Values.OrderBy(l => l.Name, StringComparer.OrdinalIgnoreCase).ThenBy(l => l.LotId).ToList();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var written = await HistoryStore.WriteHoursAsync(connection, tx, tenant, lotsInFile, ct);
        var report = Report(Guid.NewGuid(), tenant, name, user.Email() ?? user.UserId().ToString(), zone, file, lotsInFile, written);
        // The author is kept as their account id; their e-mail address is looked up when the import is shown.
        await HistoryStore.RecordAsync(connection, tx, report, user.UserId(), JsonSerializer.Serialize(report with { ImportedBy = "" }, Json), ct);
        await tx.CommitAsync(ct);
        return report;
    }

    /// <summary>The tenant's latest imports, newest first (an admin's of every tenant unless one is named).</summary>
    public async Task<IReadOnlyList<HistoryImportSummary>> ListAsync(ClaimsPrincipal user, Guid? tenantId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await HistoryStore.ListAsync(connection, user.TenantScope(tenantId), 100, ct);
        var authors = await accounts.EmailsOfAsync([.. rows.Select(r => r.ImportedBy).Distinct()], ct);
        return [.. rows.Select(r => new HistoryImportSummary(r.Id, r.ImportedAt, Author(authors, r.ImportedBy), r.FileName, r.RowsRead, r.RowsKept, r.HoursWritten))];
    }

    public async Task<HistoryImportReport> GetAsync(ClaimsPrincipal user, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var (json, author) = await HistoryStore.ReportAsync(connection, user.TenantScope(), id, ct) ?? throw new NotFoundException("Import");
        return JsonSerializer.Deserialize<HistoryImportReport>(json, Json)! with { ImportedBy = Author(await accounts.EmailsOfAsync([author], ct), author) };
    }

    /// <summary>The author's e-mail address, or their account id when the account is gone.</summary>
    private static string Author(IReadOnlyDictionary<Guid, string> emails, Guid userId) => emails.GetValueOrDefault(userId) ?? userId.ToString();

    private static TimeZoneInfo? Zone(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone)) return null;
        return LotsVocabulary.IsTimeZone(timeZone.Trim())
            ? TimeZoneInfo.FindSystemTimeZoneById(timeZone.Trim())
            : throw new ValidationException("timezone", $"'{Printable.Text(timeZone, 60)}' is not an IANA time zone such as Europe/Copenhagen.");
    }

    /// <summary>
    /// The upload copied to a temporary file (deleted when closed): the CSV reader reads synchronously, which request and
    /// browser streams refuse, and a file bigger than memory should be fine. More than the limit is refused with 413.
    /// </summary>
    private async Task<FileStream> SpoolAsync(Stream upload, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"occupancy-import-{Guid.NewGuid():N}.csv");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long total = 0;
            int read;
            while ((read = await upload.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
                if (total > MaxBytes) throw TooLarge(MaxBytes);
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>413 naming the limit and the setting that raises it.</summary>
    public static BadHttpRequestException TooLarge(long limit) =>
        new(string.Create(CultureInfo.InvariantCulture, $"The file is larger than the import limit of {limit:N0} bytes (setting Analytics:ImportMaxBytes); split it by lot or by period."), StatusCodes.Status413PayloadTooLarge);

    private static HistoryFile Parse(Stream csv, TimeZoneInfo? zone, IReadOnlyList<LotName> tenantLots, CancellationToken ct)
    {
        HistoryFile file;
        try
        {
            using var text = new StreamReader(csv, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
            file = HistoryFile.Read(text, zone, tenantLots, ct);
        }
        catch (OccupancyCsvException e) when (e.NeedsTimeZone)
        {
            throw new ValidationException("timezone", $"is required: {Printable.Text(e.Message, 300)}.");
        }
        catch (OccupancyCsvException e)
        {
            throw new ValidationException(e.Column ?? "body", Printable.Text(e.Message, 300) + ".");
        }
        if (file.RowsRead == 0)
            throw new ValidationException("body", "has a header but no data rows.");
        if (file.UnreadableCount * 2 > file.RowsRead)
        {
            var first = file.Unreadable[0];
            throw new ValidationException(first.Column, $"{first.Message}; {file.UnreadableCount} of {file.RowsRead} rows cannot be read, so nothing was imported (a file with more than half its rows unreadable is refused).");
        }
        return file;
    }

    private HistoryImportReport Report(Guid id, Guid tenant, string fileName, string importedBy, TimeZoneInfo? zone, HistoryFile file,
        List<LotReadings> lotsInFile, HistoryStore.Written written)
    {
        var lotReports = lotsInFile.Select(l => l.ToReport(written.HoursWritten.GetValueOrDefault(l.LotId))).ToList();
        var noCapacity = lotsInFile.Sum(l => l.DroppedNoCapacity);
        var negative = lotsInFile.Sum(l => l.DroppedNegative);
        var duplicates = lotsInFile.Sum(l => l.Duplicates);
        var dropped = new List<DroppedRows>
        {
            new("unreadable", file.UnreadableCount, file.Unreadable.Take(HistoryFile.FirstRowsShown).Select(u => u.Row).ToList()),
            new("unknown_lot", file.UnknownLotRows, file.FirstUnknownLotRows),
            new("no_capacity", noCapacity, file.FirstNoCapacityRows),
            new("negative_occupied", negative, file.FirstNegativeRows),
            new("duplicate", duplicates, lotsInFile.SelectMany(l => l.FirstDuplicateRows).Order().Take(HistoryFile.FirstRowsShown).ToList()),
        }.Where(d => d.Count > 0).ToList();
        var unknown = file.UnknownLots;
        var hoursWritten = lotReports.Sum(l => l.HoursWritten);
        var skippedLive = lotReports.Sum(l => l.HoursSkippedLive);

        var warnings = new List<string>();
        if (file.Lots.Count == 0) warnings.Add("Nothing was imported: no row names a lot of this tenant.");
        if (file.IgnoredColumns.Count > 0) warnings.Add($"Columns not read: {string.Join(", ", file.IgnoredColumns)}.");
        if (file.UnreadableCount > 0) warnings.Add($"{file.UnreadableCount} rows could not be read and were dropped; the first are listed with their row and column.");
        if (file.UnknownLotRows > 0)
            warnings.Add($"{file.UnknownLotRows} rows name {(unknown.Count < HistoryFile.UnknownShown ? unknown.Count.ToString() : "more than " + unknown.Count)} lots this tenant does not have and were not imported; create the lots or correct the names, then import again.");
        if (lotReports.Where(l => l.TooLittleHistory).Select(l => l.Name).ToList() is { Count: > 0 } tooShort)
            warnings.Add($"Too little history to forecast (less than 7 days of data): {string.Join(", ", tooShort.Take(20))}{(tooShort.Count > 20 ? $" and {tooShort.Count - 20} more" : "")}.");
        if (skippedLive > 0) warnings.Add($"{skippedLive} hours already hold live data and were left as they are.");

        return new HistoryImportReport(id, tenant, fileName, time.GetUtcNow(), importedBy, file.Shape, zone?.Id,
            file.RowsRead, lotReports.Sum(l => l.Kept), lotReports.Sum(l => l.Clipped), dropped.Sum(d => d.Count), duplicates, dropped,
            lotsInFile.SelectMany(l => l.FirstClippedRows).Order().Take(HistoryFile.FirstRowsShown).ToList(), file.Unreadable,
            hoursWritten, skippedLive, written.HoursReplaced, file.IgnoredColumns, lotReports, unknown, warnings);
    }
}
