using System.Net;
using System.Net.Sockets;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Deployment;

/// <summary>
/// The real server process started into a problem an operator can fix: it must stop with a non-zero exit and one line
/// naming the setting to change, never a stack trace.
/// </summary>
public sealed class StartupErrorTests : IAsyncLifetime
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestPostgres.CreateDatabaseAsync(nameof(StartupErrorTests));

    public Task DisposeAsync() => _database.DropAsync();

    private static async Task<string> StopsWithOneLineAsync(ServerNode node, params string[] expected)
    {
        await using (node)
        {
            var exitCode = await node.ExitCodeAsync(ExitTimeout);
            var output = node.Output;
            exitCode.ShouldNotBe(0, output);
            output.ShouldNotContain("   at ", Case.Sensitive, "a stack trace was printed:\n" + output);
            output.ShouldNotContain("Unhandled exception", Case.Sensitive, output);
            var problems = output.Split('\n').Where(l => l.StartsWith("Start-up stopped: ", StringComparison.Ordinal)).ToList();
            problems.Count.ShouldBe(1, output);
            foreach (var text in expected) problems[0].ShouldContain(text, Case.Sensitive, output);
            return problems[0];
        }
    }

    private static TcpListener Occupy(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    [Fact]
    public async Task Start_MqttPortTaken_NamesMqttPortAndExits()
    {
        var taken = Occupy(out var port);
        try
        {
            await StopsWithOneLineAsync(ServerNode.Start(_database.ConnectionString, [], mqttPort: port),
                $"MQTT port {port} is in use", "Mqtt:Port", "Mqtt:Enabled");
        }
        finally { taken.Stop(); }
    }

    [Fact]
    public async Task Start_HttpPortTaken_NamesUrlsAndExits()
    {
        var taken = Occupy(out var port);
        try
        {
            await StopsWithOneLineAsync(ServerNode.Start(_database.ConnectionString, [], httpPort: port),
                $"http://127.0.0.1:{port} is in use", "--urls");
        }
        finally { taken.Stop(); }
    }

    [Fact]
    public async Task Start_PostgresUnreachable_NamesConnectionStringWithoutItsPassword()
    {
        var closedPort = FreePorts.One();
        var line = await StopsWithOneLineAsync(ServerNode.Start($"Host=127.0.0.1;Port={closedPort};Database=parking;Username=app;Password=s3cret-pw;Timeout=3", []),
            $"PostgreSQL at 127.0.0.1:{closedPort}", "ConnectionStrings:Parking");
        line.ShouldNotContain("s3cret-pw");
    }

    [Fact]
    public async Task Start_ConnectionStringMalformed_NamesConnectionString()
    {
        await StopsWithOneLineAsync(ServerNode.Start("Hots=db;Database=parking", []),
            "ConnectionStrings:Parking is not a valid PostgreSQL connection string", "hots");
    }

    [Fact]
    public async Task Start_SettingOutOfRange_NamesTheSetting()
    {
        await StopsWithOneLineAsync(ServerNode.Start(_database.ConnectionString, ["--Events:PollMilliseconds", "1"]),
            "Invalid setting: Events:PollMilliseconds");
    }

    [Fact]
    public async Task Start_UnknownRole_ListsTheRoles()
    {
        await StopsWithOneLineAsync(ServerNode.Start(_database.ConnectionString, ["--role", "reporting"]),
            "Unknown node role 'reporting'", "--role", "Server:Role", "all, api, ingest, worker");
    }

    [Fact]
    public async Task Start_PostgresBinariesMissing_SaysHowToGetThem()
    {
        var data = Path.Combine(Path.GetTempPath(), "sp-startup-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await StopsWithOneLineAsync(ServerNode.Start(null, ["--Database:DataDirectory", data, "--Database:PostgresBinDirectory", "/nonexistent/postgresql/bin"]),
                "PostgreSQL server binaries", "ConnectionStrings__Parking");
        }
        finally { if (Directory.Exists(data)) Directory.Delete(data, recursive: true); }
    }
}
