using Dapper;
using Npgsql;

namespace SmartParking.Server.Modules.Payments.Wallet;

public sealed class WalletStore(NpgsqlDataSource db) : IDriverWallet
{
    public async Task<IReadOnlyList<WalletMethod>> ForDriverAsync(Guid driverId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<WalletMethod>(new CommandDefinition(
            "select * from payment_methods where driver_id = @driverId order by created_at desc, id desc", new { driverId }, cancellationToken: ct))).ToList();
    }

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
