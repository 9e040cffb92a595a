using Npgsql;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Analytics.Rollups;

/// <summary>The BI role reads the analytics views and nothing else: no table with personal data, no rollup table directly.</summary>
public sealed class BiAccessTests : IAsyncLifetime
{
    private const string Password = "bi-test-password";
    private TestDatabase _database = null!;
    private readonly string _login = "bi_test_" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync(nameof(BiAccessTests));
        await using var admin = new NpgsqlConnection(_database.ConnectionString);
        await admin.OpenAsync();
        // As docs/analytics.md tells an operator to connect Metabase.
        await using var create = new NpgsqlCommand($"create role {_login} login password '{Password}' in role smartparking_bi", admin);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await _database.DropAsync();
        await using var admin = new NpgsqlConnection(await TestPostgres.AdminConnectionStringAsync());
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop role if exists {_login}", admin);
        await drop.ExecuteNonQueryAsync();
    }

    [Theory]
    [InlineData("analytics.lots")]
    [InlineData("analytics.zones")]
    [InlineData("analytics.occupancy_hourly")]
    [InlineData("analytics.rollups_hourly")]
    [InlineData("analytics.rollups_daily")]
    [InlineData("analytics.revenue_hourly")]
    [InlineData("analytics.revenue_daily")]
    public async Task BiLogin_SelectsTheViews(string view)
    {
        await using var connection = await BiConnectionAsync();
        await using var select = new NpgsqlCommand($"select count(*) from {view}", connection);
        ((long)(await select.ExecuteScalarAsync())!).ShouldBeGreaterThanOrEqualTo(0);
    }

    [Theory]
    [InlineData("users")]
    [InlineData("reservations")]
    [InlineData("meter_sessions")]
    [InlineData("payments")]
    [InlineData("analytics_rollups")]
    public async Task BiLogin_PermissionDeniedOnTables(string table)
    {
        await using var connection = await BiConnectionAsync();
        await using var select = new NpgsqlCommand($"select count(*) from public.{table}", connection);
        var denied = await Should.ThrowAsync<PostgresException>(() => select.ExecuteScalarAsync());
        denied.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
    }

    private async Task<NpgsqlConnection> BiConnectionAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Username = _login, Password = Password, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
