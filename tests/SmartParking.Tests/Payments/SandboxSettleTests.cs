using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using SmartParking.Server.Modules.Payments;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

/// <summary>The payments server as a developer runs it: in Development, where drivers may settle sandbox payments.</summary>
public sealed class DevelopmentPaymentsFactory : PaymentsFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        // appsettings.Development.json seeds the demo city; these tests want an empty server like the others.
        settings["Demo:Seed"] = "false";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Development");
    }
}

/// <summary>POST /api/v1/payments/sandbox/{paymentId}/settle, the sandbox's stand-in for a provider's webhook.</summary>
public sealed class SandboxSettleTests(DevelopmentPaymentsFactory factory) : IClassFixture<DevelopmentPaymentsFactory>
{
    [Fact]
    public async Task Settle_InDevelopment_ADriverSettlesOnlyTheirOwnPaymentAndAnAdminAny()
    {
        var (owner, payment) = await PendingAsync();
        var (_, other) = await PendingAsync();
        var stranger = await factory.DriverWithAsync(("sandbox", "sandbox_ok"));
        using var ownerClient = factory.ClientFor(owner);
        using var strangerClient = factory.ClientFor(stranger);
        using var admin = factory.ClientFor(await factory.CreateAdminAsync());

        var byStranger = await strangerClient.PostAsJsonAsync($"/api/v1/payments/sandbox/{payment}/settle", new { state = "succeeded" });
        var stateAfterStranger = await factory.StateOfAsync(payment);
        var byOwner = await ownerClient.PostAsJsonAsync($"/api/v1/payments/sandbox/{payment}/settle", new { state = "succeeded" });
        var byAdmin = await admin.PostAsJsonAsync($"/api/v1/payments/sandbox/{other}/settle", new { state = "succeeded" });

        await byStranger.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        stateAfterStranger.ShouldBe("pending");
        (await byOwner.ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("state").ShouldBe("succeeded");
        (await byAdmin.ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("state").ShouldBe("succeeded");
    }

    [Fact]
    public async Task Settle_FailedThenSucceeded_TwoEventsAndTheMoneyTakenWins()
    {
        var (owner, payment) = await PendingAsync();
        using var client = factory.ClientFor(owner);

        var failed = await (await client.PostAsJsonAsync($"/api/v1/payments/sandbox/{payment}/settle", new { state = "failed" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var succeeded = await (await client.PostAsJsonAsync($"/api/v1/payments/sandbox/{payment}/settle", new { state = "succeeded" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await client.PostAsJsonAsync($"/api/v1/payments/sandbox/{payment}/settle", new { state = "succeeded" })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        failed.Str("state").ShouldBe("failed");
        succeeded.Str("state").ShouldBe("succeeded");
        (await factory.StateOfAsync(payment)).ShouldBe("succeeded");
        // Like a provider's: one event per outcome, and a repeat of an outcome is the same event.
        (await factory.ScalarAsync<long>("select count(*) from webhook_events where payment_id = $1", payment)).ShouldBe(2);
    }

    private async Task<(TestAccount Driver, Guid PaymentId)> PendingAsync()
    {
        var driver = await factory.DriverWithAsync(("sandbox", "sandbox_pending"));
        var pending = await factory.Payments.ChargeAsync(factory.Charge(driver), CancellationToken.None);
        pending.State.ShouldBe(PaymentState.Pending);
        return (driver, pending.PaymentId);
    }
}
