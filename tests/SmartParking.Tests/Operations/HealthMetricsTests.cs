using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Operations;

/// <summary>A server whose database connection runs through a proxy the test can cut.</summary>
public sealed class HealthMetricsFactory : ApiFactory
{
    protected override bool DatabaseThroughProxy => true;
}

public sealed class HealthMetricsTests(HealthMetricsFactory factory) : IClassFixture<HealthMetricsFactory>
{
    private static readonly TimeSpan Eventually = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task DatabaseUnreachable_ItsHealthGaugeFallsToZeroAndRecovers()
    {
        await WaitForDatabaseStatusAsync(1);
        try
        {
            factory.Proxy.Stop();
            await WaitForDatabaseStatusAsync(0);
        }
        finally
        {
            factory.Proxy.Start();
        }
        await WaitForDatabaseStatusAsync(1);

        using var client = factory.Anonymous();
        (await client.GetStringAsync("/metrics")).ShouldContain("# TYPE smartparking_health_check_status gauge");
    }

    private Task WaitForDatabaseStatusAsync(double status) =>
        Poll.UntilAsync(() => Task.FromResult(OwnGauges.Read(factory.Services, "smartparking.health.check.status", "check")),
            checks => checks.TryGetValue("database", out var value) && value == status, Eventually, $"the database check at {status}");
}
