using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SmartParking.Server.Platform.Database;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>
/// The server's private PostgreSQL cluster (LocalPostgres), each test in a fresh directory. The directory name
/// carries this process id so that a killed run's leftovers are found and removed by the next run (TestPostgres).
/// </summary>
public sealed class EmbeddedPostgresTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(TestPostgres.ScratchRoot, $"smartparking-tests-{Environment.ProcessId}-embedded-{Guid.NewGuid():N}");
    private readonly List<LocalPostgres> _started = [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        foreach (var instance in _started) await instance.StopAsync(CancellationToken.None);
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private LocalPostgres NewInstance()
    {
        var instance = new LocalPostgres(_directory, NullLogger.Instance);
        _started.Add(instance);
        return instance;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Start_FreshDirectory_CreatesClusterWhoseDataSurvivesARestart()
    {
        var first = NewInstance();
        var connection = await first.StartAsync(CancellationToken.None);
        File.Exists(Path.Combine(first.ClusterDirectory, "PG_VERSION")).ShouldBeTrue();
        await ExecuteAsync(connection, "create table kept (id int primary key, note text); insert into kept values (1, 'still here')");

        await first.StopAsync(CancellationToken.None);
        await Should.ThrowAsync<NpgsqlException>(() => ExecuteAsync(connection, "select 1"));
        var second = NewInstance();
        var again = await second.StartAsync(CancellationToken.None);

        (await ScalarAsync(again, "select note from kept where id = 1")).ShouldBe("still here");
    }

    [Fact]
    public async Task Stop_CalledTwiceOrBeforeStart_IsHarmless()
    {
        var neverStarted = NewInstance();
        await neverStarted.StopAsync(CancellationToken.None);

        var instance = NewInstance();
        var connection = await instance.StartAsync(CancellationToken.None);
        await instance.StopAsync(CancellationToken.None);
        await instance.StopAsync(CancellationToken.None);

        await Should.ThrowAsync<NpgsqlException>(() => ExecuteAsync(connection, "select 1"));
    }

    [Fact]
    public async Task Start_WhileAnotherInstanceRunsTheCluster_ReusesIt()
    {
        var first = NewInstance();
        var connection = await first.StartAsync(CancellationToken.None);
        await ExecuteAsync(connection, "create table shared (id int)");

        var second = NewInstance();
        var secondConnection = await second.StartAsync(CancellationToken.None);

        new NpgsqlConnectionStringBuilder(secondConnection).Port.ShouldBe(new NpgsqlConnectionStringBuilder(connection).Port);
        (await ScalarAsync(secondConnection, "select to_regclass('shared') is not null")).ShouldBe(true);
        // Either may stop it; the other's stop then finds nothing to do.
        await second.StopAsync(CancellationToken.None);
        await first.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Start_PasswordFileLost_FailsWithAnExplanation()
    {
        var instance = NewInstance();
        await instance.StartAsync(CancellationToken.None);
        await instance.StopAsync(CancellationToken.None);
        File.Delete(Path.Combine(_directory, "postgres.password"));

        var error = await Should.ThrowAsync<InvalidOperationException>(() => NewInstance().StartAsync(CancellationToken.None));

        error.Message.ShouldContain("password file");
    }

    [Fact]
    public void HostPorts_UrlsAndPortSettings_KeptFromTheEmbeddedServersChoice()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:45123; http://*:45124",
            ["Mqtt:Port"] = "45125",
            ["Mqtt:Host"] = "localhost",
        }).Build();

        DatabaseModule.HostPorts(configuration).Order().ShouldBe([45123, 45124, 45125]);
    }
}
