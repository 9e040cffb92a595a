using SmartParking.Server.Modules.Lots;

namespace SmartParking.Server.Modules.Sensors.Registry;

/// <summary>
/// How a <see cref="Sensor"/> is read: with its space's label, its space's last status and its health. Needs the rule's
/// parameters (<see cref="SensorReporting.Parameters"/>) with <c>@now</c>.
/// </summary>
public static class SensorSql
{
    public static readonly string Columns = $"""
        select se.id, se.tenant_id, se.serial, se.kind, se.space_id, sp.label as space_label, se.lot_id, se.created_at, se.updated_at,
               se.last_seen_at, se.battery_percent, se.signal_dbm, se.firmware, ss.status as last_status_code, ss.observed_at as last_observed_at,
               se.heartbeat_seconds, {SensorReporting.ExpectedSeconds} as expected_seconds, {SensorReporting.SensorHealth} as health
        """;

    public static readonly string From =
        $"from sensors se {LotsSql.SpaceJoin("se.space_id", "sp", left: true)} left join space_status ss on ss.space_id = se.space_id {SensorReporting.SensorJoins}";

    public static readonly string Select = $"{Columns} {From}";
}
