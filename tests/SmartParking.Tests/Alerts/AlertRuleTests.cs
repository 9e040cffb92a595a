using SmartParking.Server.Modules.Notifications;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using SmartParking.Server.Modules.Notifications.Alerts;
using SmartParking.Tests.Infrastructure;
using static SmartParking.Tests.Infrastructure.IngestKit;

namespace SmartParking.Tests.Alerts;

public sealed class AlertRuleTests(AlertsFactory factory) : IClassFixture<AlertsFactory>
{
    [Fact]
    public async Task SensorsOffline_AtTheTenantsThreshold_OpensExactlyOneAlertListingThem()
    {
        var tenant = await factory.NewAlertTenantAsync();
        var sensors = await factory.SensorsAsync(tenant, 7);
        await factory.SilenceAsync(sensors.Take(5));

        await factory.RoundAsync();
        await factory.RoundAsync();

        var alert = (await tenant.AlertsAsync()).ShouldHaveSingleItem();
        alert.Str("kind").ShouldBe(AlertKinds.SensorsOffline);
        alert.Str("status").ShouldBe("open");
        alert.GetProperty("lotId").GetGuid().ShouldBe(tenant.LotId);
        alert.Str("detail").ShouldStartWith("5 of 7 sensors offline: ");
        foreach (var sensor in sensors.Take(5)) alert.Str("detail").ShouldContain(sensor.Serial);
        alert.Str("detail").ShouldNotContain(sensors[5].Serial);
    }

    [Fact]
    public async Task SensorsOffline_BelowThreshold_OpensNone()
    {
        var tenant = await factory.NewAlertTenantAsync();
        var sensors = await factory.SensorsAsync(tenant, 5);
        await factory.SilenceAsync(sensors.Take(4));

        await factory.RoundAsync();

        (await tenant.AlertsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task SensorsOffline_TenantSetsALowerThreshold_TwoAreEnough()
    {
        var tenant = await factory.NewAlertTenantAsync(new { sensorsOfflineThreshold = 2 });
        var sensors = await factory.SensorsAsync(tenant, 3);
        await factory.SilenceAsync(sensors.Take(2));

        await factory.RoundAsync();

        (await tenant.AlertsAsync()).ShouldHaveSingleItem().Str("detail").ShouldStartWith("2 of 3 sensors offline");
    }

    [Fact]
    public async Task LowBattery_SensorsAtOrUnderTheLimit_OneAlertPerLotListingThem()
    {
        var tenant = await factory.NewAlertTenantAsync();
        var sensors = await factory.SensorsAsync(tenant, 3);
        await factory.ExecuteAsync("update sensors set battery_percent = 12 where id = $1", sensors[0].SensorId);
        await factory.ExecuteAsync("update sensors set battery_percent = 20 where id = $1", sensors[1].SensorId);
        await factory.ExecuteAsync("update sensors set battery_percent = 21 where id = $1", sensors[2].SensorId);

        await factory.RoundAsync();

        var alert = (await tenant.AlertsAsync()).ShouldHaveSingleItem();
        alert.Str("kind").ShouldBe(AlertKinds.LowBattery);
        alert.Str("detail").ShouldContain($"{sensors[0].Serial} (12 %)");
        alert.Str("detail").ShouldContain($"{sensors[1].Serial} (20 %)");
        alert.Str("detail").ShouldNotContain(sensors[2].Serial);
    }

    [Fact]
    public async Task LotFull_OnlyAfterItStayedFullTheTenantsTime_OpensOne()
    {
        var tenant = await factory.NewAlertTenantAsync(new { lotFullMinutes = 20 });
        // Sensors that report on change, so the lot stays full while the clock moves.
        await (await tenant.Client.PutAsJsonAsync($"/api/v1/manage/lots/{tenant.LotId}/sensor-policy", new { heartbeatSeconds = 86_400 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var sensors = await factory.SensorsAsync(tenant, 2);
        using var anonymous = factory.Anonymous();
        foreach (var sensor in sensors)
        {
            using var device = factory.DeviceClient(sensor);
            await device.IngestAsync(Batch(Reading(null, "occupied")));
            await anonymous.WaitForSpaceStatusAsync(tenant.LotId, sensor.SpaceId, "occupied");
        }

        await factory.RoundAsync();
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(19));
        (await tenant.AlertsAsync()).ShouldBeEmpty();

        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(2));

        var alert = (await tenant.AlertsAsync()).ShouldHaveSingleItem();
        alert.Str("kind").ShouldBe(AlertKinds.LotFull);
        alert.Str("detail").ShouldStartWith("2 of 2 spaces in service are taken");
    }

    [Fact]
    public async Task ConditionClears_ResolvesBySystemOnlyAfterTheHoldDown_AndAFlapOpensNoSecondAlert()
    {
        var tenant = await factory.NewAlertTenantAsync(new { sensorsOfflineThreshold = 1 });
        var sensors = await factory.SensorsAsync(tenant, 1);
        await factory.SilenceAsync(sensors);
        await factory.RoundAsync();
        var id = (await tenant.AlertsAsync()).ShouldHaveSingleItem().Id();

        // Back for a moment, then gone again: the same alert stays open.
        await factory.ExecuteAsync("update sensors set last_seen_at = $1 where id = $2", factory.Clock.GetUtcNow(), sensors[0].SensorId);
        await factory.AdvanceAndRoundAsync(TimeSpan.FromSeconds(30));
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(3));
        (await tenant.AlertsAsync()).ShouldHaveSingleItem().Str("status").ShouldBe("open");

        // Back for good: resolved by the system once it stayed clear for the hold-down (5 minutes).
        Task Heard() => factory.ExecuteAsync("update sensors set last_seen_at = $1 where id = $2", factory.Clock.GetUtcNow(), sensors[0].SensorId);
        await Heard();
        await factory.RoundAsync();
        await factory.AdvanceAsync(TimeSpan.FromMinutes(4));
        await Heard();
        await factory.RoundAsync();
        (await tenant.AlertsAsync()).ShouldHaveSingleItem().Str("status").ShouldBe("open");
        await factory.AdvanceAsync(TimeSpan.FromSeconds(61));
        await Heard();
        await factory.RoundAsync();

        var resolved = (await tenant.AlertsAsync()).ShouldHaveSingleItem();
        resolved.Id().ShouldBe(id);
        resolved.Str("status").ShouldBe("resolved");
        resolved.Str("resolvedBy").ShouldBe(AlertStatuses.System);

        // Failing again within the hold-down opens nothing new; after it, a new alert.
        await factory.SilenceAsync(sensors);
        await factory.RoundAsync();
        (await tenant.AlertsAsync()).Count.ShouldBe(1);
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(6));
        (await tenant.AlertsAsync("?status=open")).ShouldHaveSingleItem().Id().ShouldNotBe(id);
    }

    [Fact]
    public async Task PlatformConditions_CircuitOpenAndIngestAtItsBound_OpenAdminAlertsOperatorsDoNotSee()
    {
        var tenant = await factory.NewAlertTenantAsync();
        factory.Circuits.Open = ["stripe"];
        Interlocked.Exchange(ref factory.Backlog.Queued, 1000);
        try
        {
            await factory.Services.GetRequiredService<NodeSignals>().ReportAsync(CancellationToken.None);
            await factory.RoundAsync();
            await factory.RoundAsync();

            using var admin = factory.ClientFor(factory.Admin);
            var circuit = (await admin.GetJsonAsync($"/api/v1/manage/alerts?kind={AlertKinds.PaymentCircuitOpen}")).Items().ShouldHaveSingleItem();
            circuit.Str("title").ShouldContain("stripe");
            circuit.GetProperty("tenantId").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
            var backlog = (await admin.GetJsonAsync($"/api/v1/manage/alerts?kind={AlertKinds.IngestBacklog}")).Items().ShouldHaveSingleItem();
            backlog.Str("detail").ShouldContain("1,000 readings queued (bound 1,000)");
            (await tenant.AlertsAsync()).ShouldBeEmpty();
            await (await tenant.Client.PostAsync($"/api/v1/manage/alerts/{circuit.Id()}/acknowledge", null)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        }
        finally
        {
            factory.Circuits.Open = [];
            Interlocked.Exchange(ref factory.Backlog.Queued, 0);
            await factory.Services.GetRequiredService<NodeSignals>().ReportAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task PlatformConditions_BelowTheBoundAndCircuitsClosed_OpenNothing()
    {
        Interlocked.Exchange(ref factory.Backlog.Queued, 999);
        try
        {
            await factory.Services.GetRequiredService<NodeSignals>().ReportAsync(CancellationToken.None);
            (await factory.Services.GetRequiredService<NodeSignals>().RecentAsync(CancellationToken.None)).ShouldBeEmpty();
        }
        finally { Interlocked.Exchange(ref factory.Backlog.Queued, 0); }
    }
}
