using System.Data;
using System.Security.Claims;
using SmartParking.Server.Modules.Identity;

namespace SmartParking.Server.Modules.Privacy;

/// <summary>
/// Staff reading personal data is written to the audit log as changes are (who, when, what), so a data subject or a
/// supervisory authority can be told who looked. Modules call this where their staff-facing reads happen.
/// </summary>
public static class AccessAudit
{
    /// <summary>Enforcement asked whether a plate is paid.</summary>
    public const string PlateLookedUp = "plate.looked_up";

    /// <summary>A staff table (page or export) was filtered by a plate.</summary>
    public const string PlateSearched = "plate.searched";

    /// <summary>A table holding personal data was downloaded.</summary>
    public const string TableExported = "table.exported";

    public static Task PlateLookedUpAsync(this AuditLog audit, IDbConnection connection, ClaimsPrincipal staff, Guid? tenantId, string plate, object details,
        CancellationToken ct) =>
        audit.RecordAsync(connection, null, staff, tenantId, PlateLookedUp, AuditLog.PlateEntity, plate, details, ct);

    public static Task PlateSearchedAsync(this AuditLog audit, IDbConnection connection, ClaimsPrincipal staff, Guid? tenantId, string plate, string table,
        CancellationToken ct) =>
        audit.RecordAsync(connection, null, staff, tenantId, PlateSearched, AuditLog.PlateEntity, plate, new { table }, ct);

    /// <param name="filters">The request's filters and sort, so what was in the file can be told later.</param>
    public static Task TableExportedAsync(this AuditLog audit, IDbConnection connection, ClaimsPrincipal staff, Guid? tenantId, string table, string format, int rows,
        string filters, CancellationToken ct) =>
        audit.RecordAsync(connection, null, staff, tenantId, TableExported, "table", table, new { format, rows, filters }, ct);
}
