using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SmartParking.Tests.Simulator;

/// <summary>A bare Kestrel app on a free loopback port standing in for the server, so the simulator's own HTTP client talks to it over TCP.</summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication app;
    public Uri Url { get; }

    private FakeServer(WebApplication app, Uri url) => (this.app, Url) = (app, url);

    public static async Task<FakeServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new FakeServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
