using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Alerts;
using SmartParking.Server.Platform.Events;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Alerts;

/// <summary>Another node of the same deployment, its alert rounds off (one node runs them).</summary>
public sealed class AlertsSecondNode(TestDatabase shared) : ApiFactory
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult(shared);

    protected override bool OwnsDatabase => false;

    protected override void ConfigureSettings(IDictionary<string, string?> settings) => settings["Alerts:Scheduled"] = "false";
}

public sealed class AlertLiveTests(AlertsFactory factory) : IClassFixture<AlertsFactory>
{
    [Fact]
    public async Task AlertChangedOnOneNode_PagesOfAnotherNodeHearOfItThroughTheEvents()
    {
        await using var other = new AlertsSecondNode(factory.Database);
        await other.InitializeAsync();
        using var listening = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var changes = other.Services.GetRequiredService<AlertFeed>().Subscribe(listening.Token);

        var (tenant, alert) = await factory.OpenAlertAsync();
        await (await tenant.Client.PostAsync($"/api/v1/manage/alerts/{alert.Id()}/acknowledge", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await other.Services.GetRequiredService<EventDispatcher>().DrainAsync(CancellationToken.None);

        var heard = new List<Guid?>();
        while (heard.Count < 2) heard.Add(await changes.ReadAsync(listening.Token));
        heard.ShouldBe([tenant.TenantId, tenant.TenantId]);
    }
}
