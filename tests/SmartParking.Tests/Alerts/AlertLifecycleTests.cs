using System.Net;
using System.Net.Http.Json;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Alerts;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Alerts;

public sealed class AlertLifecycleTests(AlertsFactory factory) : IClassFixture<AlertsFactory>
{
    [Fact]
    public async Task Acknowledge_OpenAlert_RecordsWhoAndWhenAndRecordsTheEvent()
    {
        var (tenant, alert) = await factory.OpenAlertAsync();
        factory.Clock.Advance(TimeSpan.FromMinutes(2));

        var acknowledged = await (await tenant.Client.PostAsync($"/api/v1/manage/alerts/{alert.Id()}/acknowledge", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        acknowledged.Str("status").ShouldBe("acknowledged");
        acknowledged.Str("acknowledgedBy").ShouldBe(tenant.Operator.Id.ToString());
        acknowledged.Str("acknowledgedByName").ShouldBe(tenant.Operator.Email);
        acknowledged.GetProperty("acknowledgedAt").GetDateTimeOffset().ShouldBe(factory.Clock.GetUtcNow(), TimeSpan.FromMilliseconds(1));
        (await factory.ColumnAsync("select type from domain_events where aggregate_id = $1 order by recorded", alert.Id().ToString()))
            .ShouldBe([nameof(AlertRaised), nameof(AlertAcknowledged)]);
    }

    [Fact]
    public async Task Acknowledge_AlreadyAcknowledgedOrResolved_Returns409SayingByWhom()
    {
        var (tenant, alert) = await factory.OpenAlertAsync();
        var url = $"/api/v1/manage/alerts/{alert.Id()}";
        await (await tenant.Client.PostAsync($"{url}/acknowledge", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var twice = await (await tenant.Client.PostAsync($"{url}/acknowledge", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        twice.Str("detail").ShouldContain($"already acknowledged by {tenant.Operator.Email}");

        await (await tenant.Client.PostAsJsonAsync($"{url}/resolve", new { note = "Replaced the gateway" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await (await tenant.Client.PostAsync($"{url}/acknowledge", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("resolved");
    }

    [Fact]
    public async Task Resolve_OpenAlertWithNote_RecordsWhoWhenAndNote_AndResolvingTwiceIs409()
    {
        var (tenant, alert) = await factory.OpenAlertAsync();
        var url = $"/api/v1/manage/alerts/{alert.Id()}/resolve";

        var resolved = await (await tenant.Client.PostAsJsonAsync(url, new { note = "Sensor replaced" })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        resolved.Str("status").ShouldBe("resolved");
        resolved.Str("resolvedBy").ShouldBe(tenant.Operator.Id.ToString());
        resolved.Str("resolvedByName").ShouldBe(tenant.Operator.Email);
        resolved.Str("resolutionNote").ShouldBe("Sensor replaced");
        resolved.GetProperty("resolvedAt").GetDateTimeOffset().ShouldBe(factory.Clock.GetUtcNow(), TimeSpan.FromMilliseconds(1));
        (await (await tenant.Client.PostAsync(url, null)).ShouldBeProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("already resolved");
    }

    [Fact]
    public async Task Resolve_NoteTooLong_ProblemNamesNote()
    {
        var (tenant, alert) = await factory.OpenAlertAsync();

        await (await tenant.Client.PostAsJsonAsync($"/api/v1/manage/alerts/{alert.Id()}/resolve", new { note = new string('x', 501) }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "note");
    }

    [Fact]
    public async Task AlertsOfAnotherTenant_NotListedAndTheirIdsAre404()
    {
        var (_, alert) = await factory.OpenAlertAsync();
        var other = await factory.NewAlertTenantAsync();

        (await other.AlertsAsync()).ShouldBeEmpty();
        await (await other.Client.PostAsync($"/api/v1/manage/alerts/{alert.Id()}/acknowledge", null)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await other.Client.PostAsync($"/api/v1/manage/alerts/{alert.Id()}/resolve", null)).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        using var admin = factory.ClientFor(factory.Admin);
        (await admin.GetJsonAsync("/api/v1/manage/alerts?status=open")).Items().Select(a => a.Id()).ShouldContain(alert.Id());
    }

    [Fact]
    public async Task Escalation_NotAcknowledged_GoesToEachNextContactAfterTheSetMinutesAndStopsAtTheEnd()
    {
        var (tenant, alert) = await factory.OpenAlertAsync(new
        {
            sensorsOfflineThreshold = 1, escalateAfterMinutes = 10,
            contacts = new[]
            {
                new { channel = "email", address = "duty@example.org" },
                new { channel = "sms", address = "+45 12 34 56 78" },
                new { channel = "slack", address = "https://hooks.slack.com/services/T0/B0/x" },
            },
        });
        factory.Notifications.For(alert.Id()).Select(r => ((AddressRecipient)r.Recipient).Address).ShouldBe(["duty@example.org"]);
        var first = factory.Notifications.For(alert.Id())[0];
        first.Kind.ShouldBe("operator_alert");
        first.Fields["title"].ShouldBe(alert.Str("title"));
        first.Fields["detail"].ShouldBe(alert.Str("detail"));
        first.Fields["lot"].ShouldStartWith("Alert lot");
        first.Fields["link"].ShouldBe($"https://parking.example.org/admin/alerts?alert={alert.Id()}");

        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(9));
        factory.Notifications.For(alert.Id()).Count.ShouldBe(1);
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(1));
        factory.Notifications.For(alert.Id()).Select(r => ((AddressRecipient)r.Recipient).Address).ShouldBe(["duty@example.org", "+4512345678"], ignoreOrder: true);
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(10));
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(10));
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(10));

        var sent = factory.Notifications.For(alert.Id());
        sent.Select(r => ((AddressRecipient)r.Recipient).Channel).ShouldBe([ChannelKind.Email, ChannelKind.Sms, ChannelKind.Slack], ignoreOrder: true);
        sent.Select(r => r.SourceEventId).Distinct().Count().ShouldBe(3);
        (await factory.ColumnAsync("select level || ' ' || channel from alert_escalations where alert_id = $1 order by level", alert.Id())).ShouldBe(["0 email", "1 sms", "2 slack"]);
        var now = (await tenant.AlertsAsync()).ShouldHaveSingleItem();
        now.GetProperty("escalationLevel").GetInt32().ShouldBe(2);
        now.GetProperty("nextEscalationAt").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        (await factory.ColumnAsync("select type from domain_events where aggregate_id = $1 and type = $2", alert.Id().ToString(), nameof(AlertEscalated))).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Escalation_AcknowledgedInTime_GoesNoFurther()
    {
        var (tenant, alert) = await factory.OpenAlertAsync(new
        {
            sensorsOfflineThreshold = 1,
            contacts = new[] { new { channel = "email", address = "first@example.org" }, new { channel = "email", address = "second@example.org" } },
        });
        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(14));
        await (await tenant.Client.PostAsync($"/api/v1/manage/alerts/{alert.Id()}/acknowledge", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        await factory.AdvanceAndRoundAsync(TimeSpan.FromMinutes(30));

        factory.Notifications.For(alert.Id()).Select(r => ((AddressRecipient)r.Recipient).Address).ShouldBe(["first@example.org"]);
    }

    [Fact]
    public async Task Settings_BadValues_ProblemNamesEachField()
    {
        var tenant = await factory.NewAlertTenantAsync();

        var problem = await (await tenant.Client.PutAsJsonAsync("/api/v1/manage/alert-settings", new
        {
            sensorsOfflineThreshold = 0, revenueDropPercent = 101, escalateAfterMinutes = 0,
            contacts = new object[]
            {
                new { channel = "email", address = "ok@example.org" },
                new { channel = "email", address = "not an address" },
                new { channel = "pager", address = "123" },
                new { channel = "webhook", address = "http://10.0.0.1/hook" },
                new { channel = "sms", address = "12345" },
            },
        })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "sensorsOfflineThreshold", "revenueDropPercent", "escalateAfterMinutes", "contacts[1].address", "contacts[2].channel", "contacts[3].address", "contacts[4].address" })
            errors.TryGetProperty(field, out _).ShouldBeTrue(field);
        errors.TryGetProperty("contacts[0].address", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Settings_PutThenGet_KeepsValuesAndFillsDefaults_AndAdminWithoutTenantSetsThePlatforms()
    {
        var tenant = await factory.NewAlertTenantAsync();
        await (await tenant.Client.PutAsJsonAsync("/api/v1/manage/alert-settings", new
        {
            lotFullPercent = 90, contacts = new[] { new { channel = "sms", address = "+45 11 22 33 44" } },
        })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var read = await tenant.Client.GetJsonAsync("/api/v1/manage/alert-settings");

        read.GetProperty("tenantId").GetGuid().ShouldBe(tenant.TenantId);
        read.GetProperty("lotFullPercent").GetInt32().ShouldBe(90);
        read.GetProperty("sensorsOfflineThreshold").GetInt32().ShouldBe(5);
        read.GetProperty("escalateAfterMinutes").GetInt32().ShouldBe(15);
        read.GetProperty("contacts")[0].Str("address").ShouldBe("+4511223344");

        using var admin = factory.ClientFor(factory.Admin);
        (await admin.GetJsonAsync($"/api/v1/manage/alert-settings?tenantId={tenant.TenantId}")).GetProperty("lotFullPercent").GetInt32().ShouldBe(90);
        await (await admin.PutAsJsonAsync("/api/v1/manage/alert-settings", new { contacts = new[] { new { channel = "email", address = "ops@example.org" } } }))
            .ShouldHaveStatusAsync(HttpStatusCode.OK);
        var platform = await admin.GetJsonAsync("/api/v1/manage/alert-settings");
        platform.GetProperty("tenantId").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        platform.GetProperty("contacts")[0].Str("address").ShouldBe("ops@example.org");
        (await tenant.Client.GetJsonAsync("/api/v1/manage/alert-settings")).GetProperty("contacts")[0].Str("address").ShouldBe("+4511223344");
        await (await admin.GetAsync($"/api/v1/manage/alert-settings?tenantId={Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Settings_Put_IsAuditedForTheTenant_AndAnAdminsPlatformChangeForNoTenant()
    {
        var tenant = await factory.NewAlertTenantAsync();
        await (await tenant.Client.PutAsJsonAsync("/api/v1/manage/alert-settings", new { lotFullPercent = 85 })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var entry = (await tenant.Client.GetJsonAsync($"/api/v1/manage/audit?entityType=alert_settings&entityId={tenant.TenantId}")).Items().ShouldHaveSingleItem();

        entry.Str("action").ShouldBe("alert_settings.updated");
        entry.Str("actorEmail").ShouldBe(tenant.Operator.Email);
        entry.GetProperty("tenantId").GetGuid().ShouldBe(tenant.TenantId);
        entry.GetProperty("changes").GetProperty("lotFullPercent").GetInt32().ShouldBe(85);

        using var admin = factory.ClientFor(factory.Admin);
        await (await admin.PutAsJsonAsync("/api/v1/manage/alert-settings", new { escalateAfterMinutes = 20 })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var platform = (await admin.GetJsonAsync("/api/v1/manage/audit?entityType=alert_settings&entityId=platform")).Items().First();
        platform.Str("actorEmail").ShouldBe(factory.Admin.Email);
        platform.GetProperty("tenantId").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        platform.GetProperty("changes").GetProperty("escalateAfterMinutes").GetInt32().ShouldBe(20);
    }
}
