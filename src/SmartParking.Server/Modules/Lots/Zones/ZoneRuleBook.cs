using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Lots.Zones;

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
    /// <summary>The rules of lot <c>@lotId</c>, for a caller that reads them in a round trip of its own (<see cref="Read"/>).</summary>
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

    /// <summary>The lot's rules from the rows <see cref="SelectOfLot"/> read.</summary>
    public static LotRules Read(LotFacts lot, IEnumerable<ZoneRuleRow> rows)
    {
        var list = rows.ToList();
        return new LotRules(lot.TimeZone, list.Where(r => r.ZoneId is null).Select(r => r.ToRule()).ToList(),
            list.Where(r => r.ZoneId is not null).GroupBy(r => r.ZoneId!.Value)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<ZoneRule>)g.Select(r => r.ToRule()).ToList()));
    }
}

/// <summary>A row of <c>zone_rules</c>, with its zone's code and name for showing it.</summary>
public sealed class ZoneRuleRow
{
    public const string Select = """
        select r.zone_id, z.code as zone_code, z.name as zone_name, r.kind, r.days, r.from_minute, r.to_minute, r.max_stay_minutes
        from zone_rules r left join zones z on z.id = r.zone_id
        """;

    /// <summary>A lot's rules as one JSON array, as a column of a lot query (alias <c>l</c>).</summary>
    public const string JsonOfLot = """
        (select jsonb_agg(jsonb_build_object('zoneId', r.zone_id, 'zoneCode', z.code, 'zoneName', z.name, 'kind', r.kind, 'days', r.days,
                'fromMinute', r.from_minute, 'toMinute', r.to_minute, 'maxStayMinutes', r.max_stay_minutes) order by z.code nulls first, r.position)::text
         from zone_rules r left join zones z on z.id = r.zone_id where r.lot_id = l.id)
        """;

    public Guid? ZoneId { get; init; }
    public string? ZoneCode { get; init; }
    public string? ZoneName { get; init; }
    public string Kind { get; init; } = "";
    public string[] Days { get; init; } = [];
    public int FromMinute { get; init; }
    public int ToMinute { get; init; }
    public int? MaxStayMinutes { get; init; }

    public ZoneRule ToRule() => new(Kind, Days, Time(FromMinute), Time(ToMinute), MaxStayMinutes);

    /// <summary>Rows grouped as drivers see them: the lot's own rules first, then each zone's.</summary>
    public static IReadOnlyList<ZoneRuleGroup> Groups(IEnumerable<ZoneRuleRow> rows) =>
        rows.GroupBy(r => r.ZoneId).Select(g => new ZoneRuleGroup(g.Key, g.First().ZoneCode, g.First().ZoneName, g.Select(r => r.ToRule()).ToList())).ToList();

    private static string Time(int minutes) => $"{minutes / 60:00}:{minutes % 60:00}";
}
