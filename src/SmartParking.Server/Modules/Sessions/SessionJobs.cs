using Dapper;
using Npgsql;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Scheduling;

namespace SmartParking.Server.Modules.Sessions;

/// <summary>Sessions whose paid time ran out end and are charged; ended sessions whose charge was interrupted are charged.</summary>
public sealed class SessionJobs(NpgsqlDataSource db, SessionService sessions, FieldProtector protector) : IScheduledJob
{
    public string Name => "sessions";

    public async Task RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        foreach (var row in await connection.QueryAsync<SessionRow>(new CommandDefinition(
                     "select * from meter_sessions where status = 'active' and ends_at <= @now order by ends_at limit 500", new { now }, cancellationToken: ct)))
            await sessions.EndAsync(connection, row.Opened(protector), "expired", row.EndsAt, ct);
        await sessions.AnnounceExpiringAsync(connection, now, ct);
        foreach (var row in await connection.QueryAsync<SessionRow>(new CommandDefinition(
                     "select * from meter_sessions where status <> 'active' and not charged order by stopped_at limit 500", cancellationToken: ct)))
            await sessions.ChargeAsync(connection, row.Opened(protector), ct);
    }
}
