using System.Text.Json;
using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Pricing;

internal sealed class CurrentPrices(NpgsqlDataSource db) : ICurrentPrices
{
    public async Task<IReadOnlyList<CurrentPrice>> AllAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid UnitId, Guid LotId, decimal Rate, string? TypeRates)>(new CommandDefinition(
                "select unit_id, lot_id, rate_now, type_rates::text from lot_prices", cancellationToken: ct)))
            .Select(p => new CurrentPrice(p.UnitId, p.LotId, p.Rate, p.TypeRates is null ? null : JsonSerializer.Deserialize<Dictionary<string, decimal>>(p.TypeRates)))
            .ToList();
    }
}
