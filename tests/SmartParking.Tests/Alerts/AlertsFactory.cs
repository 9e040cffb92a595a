using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Alerts;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Alerts;

/// <summary>What was asked of the Notifications module, once per source id and recipient as its contract promises.</summary>
public sealed class RecordingNotificationQueue : INotificationQueue
{
    private readonly ConcurrentDictionary<(Guid, NotificationRecipient), NotificationRequest> _requests = new();

    public IReadOnlyList<NotificationRequest> Requests => [.. _requests.Values];

    public IReadOnlyList<NotificationRequest> For(Guid alertId) =>
        Requests.Where(r => r.Fields.TryGetValue("link", out var link) && link.EndsWith(alertId.ToString(), StringComparison.Ordinal)).ToList();

    public Task QueueAsync(IReadOnlyCollection<NotificationRequest> requests, CancellationToken ct)
    {
        foreach (var request in requests) _requests.TryAdd((request.SourceEventId, request.Recipient), request);
        return Task.CompletedTask;
    }
}

/// <summary>This node's payment circuits, as a test sets them.</summary>
public sealed class SettableProviderHealth : IPaymentProviderHealth
{
    public volatile string[] Open = [];

    public IReadOnlyList<string> OpenCircuits() => Open;
}

/// <summary>This node's ingest queue, as a test sets it.</summary>
public sealed class SettableIngestBacklog : IIngestBacklog
{
    public long Queued;

    public IngestBacklog Current() => new(Interlocked.Read(ref Queued), 1000);
}

/// <summary>
/// A server on a stopped clock whose alert rounds run only when a test asks, with the Notifications queue, payment
/// circuits and ingest queue replaced by doubles (module boundaries, not the database).
/// </summary>
public sealed class AlertsFactory : StoppedClockFactory
{
    public RecordingNotificationQueue Notifications { get; } = new();
    public SettableProviderHealth Circuits { get; } = new();
    public SettableIngestBacklog Backlog { get; } = new();
    public TestAccount Admin { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Admin = await CreateAdminAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Alerts:Scheduled"] = "false";
        settings["Alerts:HoldDownSeconds"] = "300";
        settings["Alerts:DashboardUrl"] = "https://parking.example.org/admin";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<INotificationQueue>(Notifications);
            services.AddSingleton<IPaymentProviderHealth>(Circuits);
            services.AddSingleton<IIngestBacklog>(Backlog);
        });
    }

    /// <summary>One alert round now, as the scheduled job runs it.</summary>
    public Task RoundAsync() => Services.GetRequiredService<AlertJob>().RoundAsync(CancellationToken.None);

    /// <summary>Moves the clock (running the sensor sweep as its timer would) and runs an alert round.</summary>
    public async Task AdvanceAndRoundAsync(TimeSpan by)
    {
        await AdvanceAsync(by);
        await RoundAsync();
    }

    /// <summary>A tenant with an operator and one lot, its settings as given.</summary>
    public async Task<AlertTenant> NewAlertTenantAsync(object? settings = null, string timeZone = "Europe/Copenhagen")
    {
        var (tenantId, client, account) = await NewTenantWithOperatorAsync();
        var lot = Payloads.Lot("Alert lot " + Guid.NewGuid().ToString("N")[..6]);
        lot["timeZone"] = timeZone;
        var lotId = (await client.CreateLotAsync(lot)).Id();
        if (settings is not null) await (await client.PutAsJsonAsync("/api/v1/manage/alert-settings", settings)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        return new AlertTenant(tenantId, lotId, client, account);
    }

    /// <summary>Sensors on new spaces of the lot; each last heard at the clock's now (online).</summary>
    public async Task<IReadOnlyList<TestSensor>> SensorsAsync(AlertTenant tenant, int count)
    {
        var sensors = new List<TestSensor>();
        for (var i = 0; i < count; i++) sensors.Add(await tenant.Client.CreateSensorAsync(tenant.LotId, $"P-{i + 1:00}"));
        await ExecuteAsync("update sensors set last_seen_at = $1 where id = any($2)", Clock.GetUtcNow(), sensors.Select(s => s.SensorId).ToArray());
        return sensors;
    }

    /// <summary>Makes the sensors silent for an hour by the server's clock: overdue (offline) by any default interval.</summary>
    public Task SilenceAsync(IEnumerable<TestSensor> sensors) =>
        ExecuteAsync("update sensors set last_seen_at = $1 where id = any($2)", Clock.GetUtcNow().AddHours(-1), sensors.Select(s => s.SensorId).ToArray());

    /// <summary>An open alert in the tenant: one sensor offline with a threshold of one.</summary>
    public async Task<(AlertTenant Tenant, JsonElement Alert)> OpenAlertAsync(object? settings = null)
    {
        var tenant = await NewAlertTenantAsync(settings ?? new { sensorsOfflineThreshold = 1 });
        await SilenceAsync(await SensorsAsync(tenant, 1));
        await RoundAsync();
        return (tenant, (await tenant.AlertsAsync()).ShouldHaveSingleItem());
    }
}

public sealed record AlertTenant(Guid TenantId, Guid LotId, HttpClient Client, TestAccount Operator)
{
    public async Task<IReadOnlyList<JsonElement>> AlertsAsync(string query = "") => (await Client.GetJsonAsync("/api/v1/manage/alerts" + query)).Items();
}
