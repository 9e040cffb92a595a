using Microsoft.AspNetCore.Builder;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Simulator;

/// <summary>The platform's API as the simulator sees it, mapped by each test on the shared fake-service host.</summary>
public sealed class FakeServer(Action<WebApplication> map) : FakeServiceServer
{
    public Uri Url => BaseUrl;

    protected override void Map(WebApplication app) => map(app);

    public static async Task<FakeServer> StartAsync(Action<WebApplication> map)
    {
        var server = new FakeServer(map);
        await server.StartAsync();
        return server;
    }
}
