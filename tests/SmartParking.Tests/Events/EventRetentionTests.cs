using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Events;
using SmartParking.Tests.Infrastructure;
using Xunit;
using static SmartParking.Tests.Events.EventKit;

namespace SmartParking.Tests.Events;

/// <summary>The event log on a stopped clock with the test subscribers, so a test moves days ahead without waiting.</summary>
public sealed class EventRetentionFactory : StoppedClockFactory
{
    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        foreach (var (key, value) in EventKit.Settings) settings[key] = value;
        // SpaceStatusChanged stands here for a type no subscriber takes; with rollups on, their subscriber takes it.
        settings["Analytics:Rollups:Enabled"] = "false";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(AddTestSubscribers);
    }
}

/// <summary>What the log keeps: delivered events for the retention days, events nobody takes only for hours.</summary>
public sealed class EventRetentionTests(EventRetentionFactory factory) : IClassFixture<EventRetentionFactory>
{
    private Task<long> CountAsync(string type, string aggregate) =>
        factory.ScalarAsync<long>("select count(*) from domain_events where type = $1 and aggregate_id = $2", type, aggregate);

    [Fact]
    public async Task Prune_TypeNoSubscriberTakes_GoesAfterItsHours_TakenTypeStaysForTheRetentionDays()
    {
        var dispatcher = factory.Services.GetRequiredService<EventDispatcher>();
        var battery = Guid.NewGuid().ToString();
        var tenant = Guid.NewGuid();
        await factory.AppendAsync(Battery(battery, 7),
            new SpaceStatusChanged(tenant, [new SpaceStatusChange(Guid.NewGuid(), Guid.NewGuid(), "occupied", factory.Clock.GetUtcNow())]));
        await factory.DrainAsync();

        factory.Clock.Advance(TimeSpan.FromMinutes(30));
        await dispatcher.PruneAsync(CancellationToken.None);
        (await CountAsync("SpaceStatusChanged", tenant.ToString())).ShouldBe(1, "kept for an hour to look into");

        factory.Clock.Advance(TimeSpan.FromHours(1));
        await dispatcher.PruneAsync(CancellationToken.None);
        (await CountAsync("SpaceStatusChanged", tenant.ToString())).ShouldBe(0);
        (await CountAsync("SensorBatteryLow", battery)).ShouldBe(1, "a type subscribers take stays for the retention days");

        factory.Clock.Advance(TimeSpan.FromDays(8));
        await dispatcher.PruneAsync(CancellationToken.None);
        (await CountAsync("SensorBatteryLow", battery)).ShouldBe(0);
    }
}
