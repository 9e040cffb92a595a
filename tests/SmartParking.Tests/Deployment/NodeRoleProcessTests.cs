using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Deployment;

/// <summary>
/// Roles as an operator sets them on the real process: <c>--role</c> on the command line or <c>Server__Role</c> in the
/// environment (as the Kubernetes manifests do), and MQTT, which the in-process hosts leave off, listening only on ingest nodes.
/// </summary>
public sealed class NodeRoleProcessTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestPostgres.CreateDatabaseAsync(nameof(NodeRoleProcessTests));

    public Task DisposeAsync() => _database.DropAsync();

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    [Fact]
    public async Task RoleFromCommandLineAndEnvironment_OnlyIngestNodeListensForMqtt()
    {
        await using var api = ServerNode.Start(_database.ConnectionString, ["--role", "api"]);
        await using var ingest = ServerNode.Start(_database.ConnectionString, [], environment: new Dictionary<string, string> { ["Server__Role"] = "ingest" });
        await Task.WhenAll(api.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)), ingest.WaitUntilReadyAsync(TimeSpan.FromSeconds(90)));
        using var onApi = new HttpClient { BaseAddress = api.BaseUri };
        using var onIngest = new HttpClient { BaseAddress = ingest.BaseUri };

        (await onApi.GetFromJsonAsync<JsonElement>("/health/ready")).GetProperty("role").GetString().ShouldBe("api");
        (await onIngest.GetFromJsonAsync<JsonElement>("/health/ready")).GetProperty("role").GetString().ShouldBe("ingest");
        (await AcceptsAsync(ingest.MqttPort)).ShouldBeTrue(ingest.Output);
        (await AcceptsAsync(api.MqttPort)).ShouldBeFalse("an api node has no MQTT listener");
        (await onApi.GetAsync("/api/v1/lots/nearby?lat=56.15&lng=10.2")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await onIngest.GetAsync("/api/v1/lots/nearby?lat=56.15&lng=10.2")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await onIngest.PostAsJsonAsync(IngestKit.ReadingsUrl, new { readings = Array.Empty<object>() })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
