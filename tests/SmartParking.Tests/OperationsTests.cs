using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

public sealed class OperationsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    // /health/ready answers JSON with the node's role (NodeRoleTests).
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/startup")]
    public async Task HealthProbe_ServerStarted_ReturnsHealthy(string path)
    {
        using var client = factory.Anonymous();
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldBe("Healthy");
    }

    [Fact]
    public void Startup_ConnectionStringSetByFactory_ServerUsesTheTestDatabase()
    {
        // The server must have used the class's database, not started an embedded cluster of its own.
        var dataSource = factory.Services.GetRequiredService<NpgsqlDataSource>();
        new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Database.ShouldBe(factory.Database.Name);
        factory.Services.GetService<SmartParking.Server.Platform.Database.LocalPostgres>().ShouldBeNull();
    }

    [Fact]
    public async Task Metrics_AfterARequest_ExposesRouteLabelledDurationHistogram()
    {
        using var client = factory.Anonymous();
        (await client.GetAsync("/api/v1/lots/nearby?lat=56.15&lng=10.2")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The duration is recorded when the response completes, which can be just after the client sees it.
        var text = await Poll.UntilAsync(
            async () => await client.GetStringAsync("/metrics"),
            t => t.Split('\n').Any(l => l.StartsWith("http_server_request_duration_seconds_bucket{", StringComparison.Ordinal) && l.Contains("http_route=\"/api/v1/lots/nearby\"", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "the nearby request in /metrics");

        text.ShouldContain("# TYPE http_server_request_duration_seconds histogram");
        text.Split('\n').ShouldContain(l => l.StartsWith("db_client_", StringComparison.Ordinal) || l.StartsWith("dotnet_", StringComparison.Ordinal) || l.StartsWith("process_", StringComparison.Ordinal),
            "an Npgsql or runtime metric");
    }

    [Fact]
    public async Task Metrics_Scraped_NeverShowsTheDatabasePassword()
    {
        using var client = factory.Anonymous();
        await client.GetAsync("/health/ready");
        var password = new NpgsqlConnectionStringBuilder(factory.Database.ConnectionString).Password;
        password.ShouldNotBeNullOrEmpty();
        (await client.GetStringAsync("/metrics")).ShouldNotContain(password);
    }

    [Fact]
    public async Task Metrics_Scraped_ServesPrometheusTextFormat()
    {
        using var client = factory.Anonymous();
        var response = await client.GetAsync("/metrics");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        response.Content.Headers.ContentType.Parameters.ShouldContain(p => p.Name == "version" && p.Value == "0.0.4");
    }
}
