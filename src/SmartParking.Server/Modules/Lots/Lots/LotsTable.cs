using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Lots.Lots;

/// <summary>
/// The operator's lots. Filters: q (name or street), kind, city, amenity, tenantId (admins only). Capacity sorts by
/// the same rule <see cref="LotRow.EffectiveCapacity"/> uses: declared capacity, else the mapped spaces.
/// </summary>
public sealed class LotsTable(NpgsqlDataSource db) : DataTable<LotRow, LotResponse>(db)
{
    private const string CapacitySql = """
        (case when l.capacity = '{}'::jsonb then (select count(*) from spaces s where s.lot_id = l.id)
              else (select coalesce(sum(value::int), 0) from jsonb_each_text(l.capacity)) end)
        """;

    public static readonly TableDefinition<LotResponse> Table = new("lots", "Lots",
    [
        new("name", "Name", l => l.Name, SortSql: "l.name"),
        new("address", "Address", l => string.Join(", ", new[] { l.Address.Street, l.Address.PostalCode, l.Address.City }.Where(p => !string.IsNullOrWhiteSpace(p))), SortSql: "l.street_address"),
        new("city", "City", l => l.Address.City, SortSql: "l.city"),
        new("capacity", "Capacity", l => l.TotalCapacity, ColumnKind.Number, CapacitySql),
        new("kind", "Kind", l => l.Kind, SortSql: "l.kind"),
        new("baseHourlyRate", "Base rate per hour", l => l.BaseHourlyRate, ColumnKind.Money, "l.base_hourly_rate"),
        new("currency", "Currency", l => l.Currency, SortSql: "l.currency"),
        new("timeZone", "Time zone", l => l.TimeZone, SortSql: "l.time_zone"),
        new("createdAt", "Created", l => l.CreatedAt, ColumnKind.Instant, "l.created_at"),
        new("id", "Id", l => l.Id),
    ], "name", SortDirection.Ascending, "l.id");

    public override TableDefinition<LotResponse> Definition => Table;

    protected override Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var kind = request.OneOf("kind", LotsVocabulary.LotKinds);
        var amenity = request.OneOf("amenity", LotsVocabulary.Amenities);
        var city = request.Text("city", 100);
        var scope = user.TenantScope(request.Guid("tenantId"));
        return Task.FromResult(new TableSql(LotRow.Select.Replace("from lots l", "", StringComparison.Ordinal), "from lots l", """
            where (@scope::uuid is null or l.tenant_id = @scope)
              and (@q::text is null or l.name ilike '%' || @q || '%' or l.street_address ilike '%' || @q || '%')
              and (@kind::text is null or l.kind = @kind) and (@city::text is null or l.city ilike @city)
              and (@amenity::text is null or @amenity = any(l.amenities))
            """, new { scope, q = SqlLike.Literal(request.Search), kind, city = SqlLike.Literal(city), amenity }));
    }

    protected override Task<IReadOnlyList<LotResponse>> MapAsync(IReadOnlyList<LotRow> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<LotResponse>>(rows.Select(r => r.ToResponse()).ToList());
}
