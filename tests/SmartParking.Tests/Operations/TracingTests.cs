using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Operations;

/// <summary>A server with an OTLP endpoint configured, on a real socket, exporting to a collector stand-in.</summary>
public sealed class TracingFactory : ApiFactory
{
    public OtlpReceiver Collector { get; } = new();

    protected override bool UseRealServer => true;

    protected override void ConfigureSettings(IDictionary<string, string?> settings) =>
        settings["OpenTelemetry:OtlpEndpoint"] = Collector.BaseAddress;

    protected override async Task OnHostStoppedAsync() => await Collector.DisposeAsync();
}

public sealed class TracingTests(TracingFactory factory) : IClassFixture<TracingFactory>
{
    [Fact]
    public async Task Request_OtlpEndpointConfigured_ItsSpanAndItsDatabaseSpansReachTheCollector()
    {
        using var client = factory.Anonymous();
        // A failed sign-in: one route, and it asks PostgreSQL for the account.
        var email = Accounts.NewEmail("traced");
        (await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password = "not the password" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var spans = await Poll.UntilAsync(() => Task.FromResult(factory.Collector.Spans),
            received => received.Any(s => s.Name == "POST /api/v1/auth/login"), TimeSpan.FromSeconds(60), "the sign-in's span at the collector");

        var request = spans.First(s => s.Name == "POST /api/v1/auth/login");
        request.Attributes["url.path"].ShouldBe("/api/v1/auth/login");
        request.Resource["service.name"].ShouldBe("smartparking");
        factory.Collector.ContentTypes.ShouldAllBe(type => type == "application/x-protobuf");
        await Poll.UntilAsync(() => Task.FromResult(factory.Collector.Spans),
            received => received.Any(s => s.TraceId == request.TraceId && s.Attributes.Values.Contains("postgresql")),
            TimeSpan.FromSeconds(60), "a PostgreSQL span in the sign-in's trace");
    }

    [Fact]
    public async Task HealthProbe_OtlpEndpointConfigured_IsNotTraced()
    {
        using var client = factory.Anonymous();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/api/v1/lots/nearby?lat=56.15&lng=10.2")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Spans leave in batches in the order they ended, so once the later request is in, the probe would be too.
        var spans = await Poll.UntilAsync(() => Task.FromResult(factory.Collector.Spans),
            received => received.Any(s => s.Name == "GET /api/v1/lots/nearby"), TimeSpan.FromSeconds(60), "the nearby request's span");
        spans.ShouldNotContain(s => s.Attributes.GetValueOrDefault("url.path", "").StartsWith("/health", StringComparison.Ordinal));
    }
}
