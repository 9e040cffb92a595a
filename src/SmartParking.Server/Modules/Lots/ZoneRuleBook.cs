using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots.Zones;

namespace SmartParking.Server.Modules.Lots;

/// <summary>A lot's rules: its own, which every space has, and each zone's, which its spaces have as well.</summary>
public sealed record LotRules(string TimeZone, IReadOnlyList<ZoneRule> LotWide, IReadOnlyDictionary<Guid, IReadOnlyList<ZoneRule>> ByZone)
{
    /// <summary>The rules of a space in the zone (or of a space in no zone, for null).</summary>
    public PlaceRules For(Guid? zoneId) =>
        new(TimeZone, zoneId is { } id && ByZone.TryGetValue(id, out var own) ? [.. LotWide, .. own] : LotWide);
}

/// <summary>The parking rules of lots and zones, for the modules that admit stays (Sessions, Reservations, Pricing).</summary>
public sealed class ZoneRuleBook(NpgsqlDataSource db)
{
    /// <summary>The rules of lot <c>@lotId</c>, for a caller that reads them in a round trip of its own (<see cref="ReadOfLotAsync"/>).</summary>
    public const string SelectOfLot = $"{ZoneRuleRow.Select} where r.lot_id = @lotId order by r.zone_id nulls first, r.position";

    public async Task<LotRules> ForLotAsync(LotFacts lot, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await ForLotAsync(connection, lot, ct);
    }

    /// <summary>On a connection the caller holds already: a booking uses one connection, not two at once.</summary>
    public static async Task<LotRules> ForLotAsync(NpgsqlConnection connection, LotFacts lot, CancellationToken ct) =>
        Read(lot, await connection.QueryAsync<ZoneRuleRow>(new CommandDefinition(SelectOfLot, new { lotId = lot.Id }, cancellationToken: ct)));

    /// <summary>The lot's rules as drivers see them: its own first, then each zone's with the zone's code and name.</summary>
    public async Task<IReadOnlyList<ZoneRuleGroup>> GroupsAsync(Guid lotId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return ZoneRuleRow.Groups(await connection.QueryAsync<ZoneRuleRow>(new CommandDefinition(
            $"{ZoneRuleRow.Select} where r.lot_id = @lotId order by z.code nulls first, r.position", new { lotId }, cancellationToken: ct)));
    }

    public async Task<PlaceRules> ForPlaceAsync(LotFacts lot, Guid? zoneId, CancellationToken ct) => (await ForLotAsync(lot, ct)).For(zoneId);

    /// <summary>The lot's rules from the result of <see cref="SelectOfLot"/> in the caller's batch, read next.</summary>
    public static async Task<LotRules> ReadOfLotAsync(SqlMapper.GridReader batch, LotFacts lot) => Read(lot, await batch.ReadAsync<ZoneRuleRow>());

    private static LotRules Read(LotFacts lot, IEnumerable<ZoneRuleRow> rows)
    {
        var list = rows.ToList();
        return new LotRules(lot.TimeZone, list.Where(r => r.ZoneId is null).Select(r => r.ToRule()).ToList(),
            list.Where(r => r.ZoneId is not null).GroupBy(r => r.ZoneId!.Value)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<ZoneRule>)g.Select(r => r.ToRule()).ToList()));
    }
}
