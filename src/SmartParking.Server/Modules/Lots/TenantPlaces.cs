using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Lots;

/// <summary>A space as placement checks see it: its lot, zone, type and tenant.</summary>
public sealed record PlacedSpace(Guid Id, Guid LotId, Guid? ZoneId, string Type, Guid TenantId, string? ExternalId);

/// <summary>
/// The spaces and lots of a tenant, asked in the caller's transaction: sensor registration checks its placements in the
/// transaction that registers them, so a lot deleted meanwhile cannot slip in between.
/// </summary>
public static class TenantPlaces
{
    private const string Columns = "id, lot_id, zone_id, type, tenant_id, external_id";

    public static Task<PlacedSpace?> SpaceAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid spaceId, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<PlacedSpace>(new CommandDefinition(
            $"select {Columns} from spaces where id = @spaceId", new { spaceId }, tx, cancellationToken: ct));

    /// <summary>The tenant's spaces named by id or by external id.</summary>
    public static async Task<IReadOnlyList<PlacedSpace>> SpacesAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid tenantId, Guid[] spaceIds,
        string[] externalIds, CancellationToken ct) =>
        (await connection.QueryAsync<PlacedSpace>(new CommandDefinition(
            $"select {Columns} from spaces where tenant_id = @tenantId and (id = any(@spaceIds) or external_id = any(@externalIds))",
            new { tenantId, spaceIds, externalIds }, tx, cancellationToken: ct))).ToList();

    /// <summary>Which of these lots are the tenant's.</summary>
    public static async Task<HashSet<Guid>> LotsAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid tenantId, Guid[] lotIds, CancellationToken ct) =>
        (await connection.QueryAsync<Guid>(new CommandDefinition(
            "select id from lots where tenant_id = @tenantId and id = any(@lotIds)", new { tenantId, lotIds }, tx, cancellationToken: ct))).ToHashSet();
}
