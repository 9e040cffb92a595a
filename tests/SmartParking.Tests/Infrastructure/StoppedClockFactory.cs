using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Availability;
using SmartParking.Server.Modules.Sensors.Ingest;

namespace SmartParking.Tests.Infrastructure;

/// <summary>
/// A server on a <see cref="StoppedClock"/> whose sensor health sweep runs only when a test calls <see cref="AdvanceAsync"/>,
/// so a test moves time past a sensor's overdue limit instead of waiting for it.
/// </summary>
public class StoppedClockFactory : ManageFactory
{
    public StoppedClock Clock { get; } = new(DateTimeOffset.UtcNow);

    public override TimeProvider Time => Clock;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Ingest:HealthSweepSeconds"] = "3600";
        // Tests move the clock hours ahead; tokens issued before must outlive that.
        settings["Auth:AccessTokenMinutes"] = "1440";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>Moves the clock, lets every node hear the latest reports and runs the health sweep as its timer would.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        await Services.GetRequiredService<AvailabilityModel>().RefreshReportsAsync(CancellationToken.None);
        await Services.GetRequiredService<SensorHealthService>().SweepAsync(CancellationToken.None);
    }
}
