using System.Data;
using Dapper;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Lots.Spaces;

/// <summary>Validation and writes for spaces, shared by the endpoints, CSV and FIWARE imports and the demo seed.</summary>
public static class SpaceStore
{
    /// <summary>Spaces aliased s, each with the sensor at it aliased se (declared first: Select is built from it).</summary>
    public static readonly string From = $"from spaces s {SensorsSql.SensorAt("s.id", "se")}";

    /// <summary>Reads <see cref="Space"/> rows, each with its sensor; the caller adds the conditions.</summary>
    public static readonly string Select = $"""
        select s.id, s.tenant_id, s.lot_id, s.zone_id, s.label, s.type, s.level, s.out_of_service, s.latitude, s.longitude, s.external_id,
               se.id as sensor_id, se.serial as sensor_serial, s.created_at, s.updated_at
        {From}
        """;

    public static Validation Validate(SpaceRequest r, Validation? into = null, string prefix = "")
    {
        var v = into ?? new Validation();
        v.Required(r.Label, prefix + "label", 40)
         .OneOf(r.Type, prefix + "type", LotsVocabulary.SpaceTypes)
         .MaxLength(r.Level, prefix + "level", 40)
         .MaxLength(r.ExternalId, prefix + "externalId", 300);
        if (r.Latitude is not null || r.Longitude is not null) v.Coordinates(r.Latitude, r.Longitude, prefix);
        return v;
    }

    /// <summary>Inserts, or updates the space with the same label in the lot. Returns the id and whether it was new.</summary>
    public static async Task<(Guid Id, bool Created)> UpsertAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, Guid lotId, SpaceRequest r, CancellationToken ct)
    {
        var row = await connection.QuerySingleAsync<(Guid Id, bool Created)>(new CommandDefinition("""
            insert into spaces (id, tenant_id, lot_id, zone_id, label, type, level, out_of_service, latitude, longitude, external_id)
            values (@id, @tenantId, @lotId, @ZoneId, @Label, @Type, @Level, coalesce(@OutOfService, false), @Latitude, @Longitude, @ExternalId)
            on conflict (lot_id, label) do update set zone_id = excluded.zone_id, type = excluded.type, level = excluded.level,
                out_of_service = excluded.out_of_service, latitude = excluded.latitude, longitude = excluded.longitude,
                external_id = excluded.external_id, updated_at = now()
            returning id, (xmax = 0) as created
            """, new { id = Guid.CreateVersion7(), tenantId, lotId, r.ZoneId, Label = r.Label!.Trim(), r.Type, r.Level, r.OutOfService, r.Latitude, r.Longitude, r.ExternalId },
            tx, cancellationToken: ct));
        return row;
    }

    public static async Task EnsureZoneInLotAsync(IDbConnection connection, IDbTransaction? tx, Guid? zoneId, Guid lotId, CancellationToken ct)
    {
        if (zoneId is null) return;
        var ok = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from zones where id = @zoneId and lot_id = @lotId)", new { zoneId, lotId }, tx, cancellationToken: ct));
        if (!ok) throw new ValidationException("zoneId", "does not name a zone of this lot.");
    }
}
