namespace SmartParking.Server.Modules.Sensors;

/// <summary>
/// Sensors' table as another module may join it inside its own statement, where a list sorts and pages by a space's
/// sensor (the dashboard's spaces table). Sensors owns the fragment, so its schema stays its own.
/// </summary>
public static class SensorsSql
{
    /// <summary>A left join giving each row the sensor at the space whose id is in <paramref name="spaceIdColumn"/>, aliased <paramref name="alias"/> (columns id, serial).</summary>
    public static string SensorAt(string spaceIdColumn, string alias) => $"left join sensors {alias} on {alias}.space_id = {spaceIdColumn}";
}
