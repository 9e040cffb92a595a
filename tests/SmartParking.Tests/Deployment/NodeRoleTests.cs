using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Deployment;

/// <summary>A server started with one node role (Server:Role, as the environment's Server__Role sets it).</summary>
public abstract class RoleFactory(string? role) : ApiFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        if (role is not null) settings["Server:Role"] = role;
    }

    public bool RunsHosted<T>() => Services.GetServices<IHostedService>().OfType<T>().Any();
}

public sealed class DefaultRoleFactory() : RoleFactory(null);
public sealed class ApiRoleFactory() : RoleFactory("api");
public sealed class IngestRoleFactory() : RoleFactory("ingest");
public sealed class WorkerRoleFactory() : RoleFactory("WORKER");

/// <summary>What each role serves and runs: endpoints it does not serve are not there (404), probes and metrics are everywhere.</summary>
public abstract class NodeRoleTests<TFactory>(TFactory factory, string role, bool api, bool ingest, bool worker) : IClassFixture<TFactory>
    where TFactory : RoleFactory
{
    private static HttpStatusCode Served(bool served, HttpStatusCode status) => served ? status : HttpStatusCode.NotFound;

    [Fact]
    public async Task Ready_AnyRole_SaysRoleAndWhatItServes()
    {
        using var client = factory.Anonymous();
        var response = await client.GetAsync("/health/ready");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToString());
        body.GetProperty("status").GetString().ShouldBe("Healthy");
        body.GetProperty("role").GetString().ShouldBe(role);
        var serves = body.GetProperty("serves").EnumerateArray().Select(e => e.GetString()).ToList();
        serves.Contains("http-api").ShouldBe(api);
        serves.Contains("mqtt").ShouldBe(ingest);
        serves.Contains("scheduled-jobs").ShouldBe(worker);
        body.GetProperty("checks").TryGetProperty("ingest", out _).ShouldBe(ingest);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/startup")]
    [InlineData("/metrics")]
    public async Task ProbesAndMetrics_AnyRole_Served(string path)
    {
        using var client = factory.Anonymous();
        (await client.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/api/v1/lots/nearby?lat=56.15&lng=10.2", HttpStatusCode.OK)]
    [InlineData("/api/v1/availability?lat=56.15&lng=10.2&radius=500", HttpStatusCode.OK)]
    [InlineData("/openapi/v1.json", HttpStatusCode.OK)]
    [InlineData("/", HttpStatusCode.OK)]
    [InlineData("/admin", HttpStatusCode.Found)]
    [InlineData("/api/v1/reservations", HttpStatusCode.Unauthorized)]
    public async Task ApiAndWebApps_ServedOnlyByApiRoles(string path, HttpStatusCode whenServed)
    {
        using var client = factory.Anonymous();
        (await client.GetAsync(path)).StatusCode.ShouldBe(Served(api, whenServed));
    }

    [Theory]
    [InlineData("/api/v1/ingest/readings")]
    [InlineData("/ngsi-ld/v1/entityOperations/upsert")]
    [InlineData("/v2/op/update")]
    public async Task IngestEndpoints_ServedOnlyByIngestRoles(string path)
    {
        using var client = factory.Anonymous();
        using var content = new StringContent("[]", System.Text.Encoding.UTF8, "application/json");
        // Without device credentials a served endpoint refuses; one not served is not there at all. Where the web app is
        // mapped, its static-file route ({**path:file}, GET only) turns any other method on an unknown path into 405.
        var status = (await client.PostAsync(path, content)).StatusCode;
        if (ingest) status.ShouldBe(HttpStatusCode.Unauthorized);
        else status.ShouldBeOneOf(api ? [HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed] : [HttpStatusCode.NotFound]);
    }

    [Fact]
    public void ScheduledJobsAndSending_RunOnlyOnWorkerRoles()
    {
        factory.RunsHosted<SingleNodeJobs>().ShouldBe(worker);
        factory.RunsHosted<SensorHealthService>().ShouldBe(worker);
        factory.RunsHosted<SmartParking.Server.Modules.Notifications.Delivery.NotificationSender>().ShouldBe(worker);
        if (worker) factory.Services.GetRequiredService<SingleNodeJobs>().ExecuteTask.ShouldNotBeNull("the jobs' loop has started");
    }

    [Fact]
    public void DurableDispatch_OnlyOnWorkerRoles_EveryNodeFeedEverywhere()
    {
        var dispatcher = factory.Services.GetRequiredService<EventDispatcher>();
        (dispatcher.DurableSubscribers.Count > 0).ShouldBe(worker);
        // Every role follows the change feed (availability, caches), so the dispatcher runs on all of them.
        factory.RunsHosted<EventDispatcher>().ShouldBeTrue();
    }

    [Fact]
    public void IngestPipeline_RunsOnlyOnIngestRoles() => factory.RunsHosted<IngestPipeline>().ShouldBe(ingest);
}

public sealed class DefaultNodeRoleTests(DefaultRoleFactory factory) : NodeRoleTests<DefaultRoleFactory>(factory, "all", true, true, true);
public sealed class ApiNodeRoleTests(ApiRoleFactory factory) : NodeRoleTests<ApiRoleFactory>(factory, "api", true, false, false);
public sealed class IngestNodeRoleTests(IngestRoleFactory factory) : NodeRoleTests<IngestRoleFactory>(factory, "ingest", false, true, false);
public sealed class WorkerNodeRoleTests(WorkerRoleFactory factory) : NodeRoleTests<WorkerRoleFactory>(factory, "worker", false, false, true);
