namespace SmartParking.Server.Modules.Lots.Zones;

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
