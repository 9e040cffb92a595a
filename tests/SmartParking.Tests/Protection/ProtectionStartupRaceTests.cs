using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Protection;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Protection;

/// <summary>Replicas starting together on a new database, as Kubernetes starts them: each must find the index key it was given.</summary>
public sealed class ProtectionStartupRaceTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestPostgres.CreateDatabaseAsync(nameof(ProtectionStartupRaceTests));

    public Task DisposeAsync() => _database.DropAsync();

    [Fact]
    public async Task NodesStartingTogether_OnANewDatabase_AllStartWithTheSameKeys()
    {
        var keys = ProtectionKeys.Create(new Dictionary<byte, byte[]> { [1] = RandomNumberGenerator.GetBytes(32) }, 1, RandomNumberGenerator.GetBytes(32));
        await using var db = NpgsqlDataSource.Create(_database.ConnectionString);
        var protector = new FieldProtector(keys);
        var sweep = new ProtectionSweep(db, protector, [], Options.Create(new ProtectionOptions()), new StartupState(), NullLogger<ProtectionSweep>.Instance);

        // The first to record the key holds its transaction open while the others wait on its row: rounds of eight
        // nodes, each round on a database that has no key recorded yet.
        for (var round = 0; round < 5; round++)
        {
            await using (var fresh = db.CreateCommand("delete from protection_settings")) await fresh.ExecuteNonQueryAsync();
            var starts = Enumerable.Range(0, 8).Select(_ => Task.Run(() => new ProtectionStartupCheck(db, protector, sweep).StartAsync(CancellationToken.None)));
            await Task.WhenAll(starts);
        }
    }
}
