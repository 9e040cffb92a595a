using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Reservations;

internal sealed class ReservedWindows(NpgsqlDataSource db) : IReservedWindows
{
    public async Task<IReadOnlyList<ReservedWindow>> LiveAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ReservedWindow>(new CommandDefinition(
            "select id as reservation_id, space_id, lower(during) as start, upper(during) as \"end\" from reservations where status in ('held', 'confirmed') and upper(during) > @now",
            new { now }, cancellationToken: ct))).AsList();
    }
}
