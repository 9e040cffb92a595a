using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Reservations.Booking;

/// <summary>
/// A tenant's reservations as an operator table: the same conditions as <see cref="ReservationQueries.ListForTenantAsync"/>,
/// with sorting. Filters: lotId, status, plate, from, to, tenantId (admins).
/// </summary>
public sealed class ReservationsTable(NpgsqlDataSource db, FieldProtector protector, AuditLog audit) : DataTable<ReservationRow, ReservationResponse>(db)
{
    public static readonly TableDefinition<ReservationResponse> Table = new("reservations", "Reservations",
    [
        new("start", "Start", r => r.Start, ColumnKind.Instant, "lower(r.during)"),
        new("end", "End", r => r.End, ColumnKind.Instant, "upper(r.during)"),
        new("status", "Status", r => r.Status, SortSql: "r.status"),
        // Sealed at rest: filtered by its blind index (plate=), not sortable.
        new("plate", "Plate", r => r.Plate),
        new("space", "Space", r => r.SpaceLabel, SortSql: "length(s.label), s.label"),
        new("spaceType", "Space type", r => r.SpaceType, SortSql: "r.space_type"),
        new("price", "Price", r => r.Price, ColumnKind.Money, "r.price"),
        new("currency", "Currency", r => r.Currency, SortSql: "r.currency"),
        new("lotId", "Lot", r => r.LotId, SortSql: LotsSql.LotName("r.lot_id")),
        new("createdAt", "Created", r => r.CreatedAt, ColumnKind.Instant, "r.created_at"),
        new("id", "Id", r => r.Id),
    ], "start", SortDirection.Descending, "r.id") { PersonalData = true };

    public override TableDefinition<ReservationResponse> Definition => Table;

    protected override async Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var search = new ReservationSearch(request.Guid("lotId"), request.OneOf("status", ReservationStatus.All), request.Text("plate", 20),
            request.Instant("from"), request.Instant("to"));
        var tenant = user.TenantScope(request.Guid("tenantId"));
        if (Plates.Normalise(search.Plate) is { } plate) await audit.PlateSearchedAsync(connection, user, tenant, plate, Name, ct);
        var select = ReservationSql.Select[..ReservationSql.Select.IndexOf(ReservationSql.From, StringComparison.Ordinal)];
        return new TableSql(select, ReservationSql.From, "where " + ReservationQueries.TenantWhere, ReservationQueries.TenantParameters(tenant, search, protector));
    }

    protected override Task<IReadOnlyList<ReservationResponse>> MapAsync(IReadOnlyList<ReservationRow> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ReservationResponse>>(rows.Select(r => r.Opened(protector).ToResponse()).ToList());
}
