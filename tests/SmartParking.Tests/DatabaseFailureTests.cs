using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests;

/// <summary>A server whose database connection runs through a proxy the tests can cut.</summary>
public sealed class OutageFactory : ApiFactory
{
    public CapturedLogs Logs { get; } = new();

    protected override bool DatabaseThroughProxy => true;

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}

public sealed class DatabaseFailureTests(OutageFactory factory) : IClassFixture<OutageFactory>
{
    [Fact]
    public async Task DatabaseUnreachable_ApiAnswers503WithRetryAfterAndReadinessFailsUntilItIsBack()
    {
        using var client = factory.Anonymous();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        try
        {
            var logsBefore = factory.Logs.Entries.Count;
            factory.Proxy.Stop();

            var api = await client.GetAsync("/api/v1/lots/nearby?lat=56&lng=10");
            var problem = await api.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
            api.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
            problem.ToString().ShouldNotContain("127.0.0.1");
            (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            // Liveness does not depend on the database: restarting the server would not help.
            (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
            // An outage is logged as one warning per request, not as an unhandled error with a stack trace.
            var logged = factory.Logs.Entries.Skip(logsBefore).Where(e => e.Category.EndsWith("ProblemExceptionHandler")).ToList();
            logged.ShouldContain(e => e.Level == LogLevel.Warning && e.Message.Contains("503"));
            logged.ShouldNotContain(e => e.Level >= LogLevel.Error);
        }
        finally
        {
            factory.Proxy.Start();
        }

        await Poll.UntilAsync(async () => (await client.GetAsync("/health/ready")).StatusCode, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readiness after the database came back");
        (await client.GetAsync("/api/v1/lots/nearby?lat=56&lng=10")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DatabaseUnreachable_ChatMessage503_AndTheAssistantWritesAgainOnceItIsBack()
    {
        using var client = factory.Anonymous();
        var sender = "outage-" + Guid.NewGuid().ToString("N")[..12];
        // Answered once, the conversation is this node's copy: the next message reaches the batched write with no read first.
        (await client.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message = "hi" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        try
        {
            factory.Proxy.Stop();
            var during = await client.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message = "what can you do?" });
            await during.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
            during.Headers.RetryAfter!.Delta!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
        }
        finally
        {
            factory.Proxy.Start();
        }

        await Poll.UntilAsync(async () => (await client.GetAsync("/health/ready")).StatusCode, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "readiness after the database came back");
        (await client.PostAsJsonAsync("/webhooks/rest/webhook", new { sender, message = "thanks" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await factory.ScalarAsync<long>("select version from chat_conversations where sender = $1", factory.ChatSenderKey("rest", sender))).ShouldBe(2, "the failed message wrote nothing; the one after it did");
    }

    [Fact]
    public async Task UnexpectedDatabaseError_Returns500NotAnOutageAndLeaksNoSql()
    {
        // A statement the database rejects is a bug, not an outage: clients must not be told to retry it.
        var tenant = await factory.CreateTenantAsync();
        var account = await factory.CreateOperatorAsync(tenant);
        await factory.ExecuteAsync("alter table lots add constraint test_no_forbidden_names check (name <> 'Forbidden')");
        using var client = factory.ClientFor(account);

        var response = await client.PostAsJsonAsync("/api/v1/manage/lots", Payloads.Lot("Forbidden"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.InternalServerError);
        response.Headers.RetryAfter.ShouldBeNull();
        problem.ToString().ShouldNotContain("test_no_forbidden_names");
        problem.ToString().ShouldNotContain("insert into", Case.Insensitive);
        (await factory.ScalarAsync<long>("select count(*) from lots where tenant_id = $1", tenant)).ShouldBe(0);
    }
}
