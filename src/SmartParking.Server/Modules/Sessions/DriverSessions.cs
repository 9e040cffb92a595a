using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>What other modules may do with a driver's meter sessions.</summary>
public interface IDriverSessions
{
    /// <summary>Stops every running session of the driver as the driver would (charged for the time used); answers how many.</summary>
    Task<int> StopActiveAsync(Guid driverId, CancellationToken ct);
}

internal sealed class DriverSessions(SessionService sessions, NpgsqlDataSource db) : IDriverSessions
{
    public async Task<int> StopActiveAsync(Guid driverId, CancellationToken ct)
    {
        List<Guid> active;
        await using (var connection = await db.OpenConnectionAsync(ct))
            active = (await connection.QueryAsync<Guid>(new CommandDefinition(
                "select id from meter_sessions where driver_id = @driverId and status = 'active'", new { driverId }, cancellationToken: ct))).AsList();
        foreach (var id in active) await sessions.StopAsync(driverId, id, ct);
        return active.Count;
    }
}
