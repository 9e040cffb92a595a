using System.Security.Claims;
using Npgsql;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Lots.Spaces;

/// <summary>
/// The spaces of one lot (filter lotId, required; another tenant's lot is a 404). Filters: type, level, zoneId,
/// outOfService, q (label prefix). Status is live, from the in-memory model, so it shows but does not sort.
/// </summary>
public sealed class SpacesTable(NpgsqlDataSource db, AvailabilityModel availability) : DataTable<Space, SpaceView>(db)
{
    public static readonly TableDefinition<SpaceView> Table = new("spaces", "Spaces",
    [
        new("label", "Label", s => s.Label, SortSql: "length(s.label), s.label"),
        new("type", "Type", s => s.Type, SortSql: "s.type"),
        new("level", "Level", s => s.Level, SortSql: "s.level, length(s.label), s.label"),
        new("zoneId", "Zone", s => s.ZoneId, SortSql: "s.zone_id"),
        new("status", "Status", s => s.Status),
        new("outOfService", "Out of service", s => s.OutOfService, ColumnKind.Boolean, "s.out_of_service"),
        new("sensorSerial", "Sensor", s => s.SensorSerial, SortSql: "se.serial"),
        new("id", "Id", s => s.Id),
    ], "label", SortDirection.Ascending, "s.id");

    public override TableDefinition<SpaceView> Definition => Table;

    protected override async Task<TableSql> BuildAsync(NpgsqlConnection connection, ClaimsPrincipal user, TableRequest request, CancellationToken ct)
    {
        var lotId = request.RequiredGuid("lotId");
        var type = request.OneOf("type", LotsVocabulary.SpaceTypes);
        var level = request.Text("level", 40);
        var zoneId = request.Guid("zoneId");
        var outOfService = request.Bool("outOfService");
        var lot = await LotEndpoints.FindAsync(connection, lotId, user.TenantScope(), ct);
        var select = SpaceStore.Select[..SpaceStore.Select.IndexOf(SpaceStore.From, StringComparison.Ordinal)];
        return new TableSql(select, SpaceStore.From, """
            where s.lot_id = @lotId and (@type::text is null or s.type = @type) and (@level::text is null or s.level = @level)
              and (@zoneId::uuid is null or s.zone_id = @zoneId) and (@outOfService::boolean is null or s.out_of_service = @outOfService)
              and (@q::text is null or s.label ilike @q || '%')
            """, new { lotId = lot.Id, type, level, zoneId, outOfService, q = SqlLike.Literal(request.Search) });
    }

    protected override Task<IReadOnlyList<SpaceView>> MapAsync(IReadOnlyList<Space> rows, CancellationToken ct)
    {
        var live = rows.Count == 0 ? null : availability.LotWithSpaces(rows[0].LotId)?.Spaces.ToDictionary(s => s.SpaceId);
        return Task.FromResult<IReadOnlyList<SpaceView>>(rows.Select(s =>
        {
            var state = live?.GetValueOrDefault(s.Id);
            return new SpaceView
            {
                Id = s.Id, TenantId = s.TenantId, LotId = s.LotId, ZoneId = s.ZoneId, Label = s.Label, Type = s.Type, Level = s.Level,
                OutOfService = s.OutOfService, Latitude = s.Latitude, Longitude = s.Longitude, ExternalId = s.ExternalId, SensorId = s.SensorId,
                SensorSerial = s.SensorSerial, CreatedAt = s.CreatedAt, UpdatedAt = s.UpdatedAt,
                Status = s.OutOfService ? "out_of_service" : state?.Status ?? "unknown", StatusSince = state?.Since,
            };
        }).ToList());
    }
}
