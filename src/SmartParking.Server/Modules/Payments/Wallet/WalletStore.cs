using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Payments.Wallet;

/// <summary>A saved provider token. Never card data: the provider holds the card, we hold its reference.</summary>
public sealed class WalletMethod
{
    public Guid Id { get; init; }
    public Guid DriverId { get; init; }
    public string Provider { get; init; } = "";
    public string Token { get; init; } = "";
    public string? Customer { get; init; }
    public string? Label { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed class WalletStore(NpgsqlDataSource db)
{
    public async Task<IReadOnlyList<WalletMethod>> ForDriverAsync(Guid driverId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<WalletMethod>(new CommandDefinition(
            "select * from payment_methods where driver_id = @driverId order by created_at desc, id desc", new { driverId }, cancellationToken: ct))).ToList();
    }

    /// <summary>Saving the same token twice returns the saved method (a retried request is not an error).</summary>
    public async Task<(WalletMethod Method, bool Created)> AddAsync(WalletMethod method, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var created = await connection.QuerySingleOrDefaultAsync<WalletMethod>(new CommandDefinition("""
            insert into payment_methods (id, driver_id, provider, token, customer, label)
            values (@Id, @DriverId, @Provider, @Token, @Customer, @Label)
            on conflict (driver_id, provider, token) do nothing
            returning *
            """, method, cancellationToken: ct));
        if (created is not null) return (created, true);
        var existing = await connection.QuerySingleAsync<WalletMethod>(new CommandDefinition(
            "select * from payment_methods where driver_id = @DriverId and provider = @Provider and token = @Token", method, cancellationToken: ct));
        return (existing, false);
    }

    public async Task<bool> DeleteAsync(Guid driverId, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "delete from payment_methods where id = @id and driver_id = @driverId", new { id, driverId }, cancellationToken: ct)) == 1;
    }
}
