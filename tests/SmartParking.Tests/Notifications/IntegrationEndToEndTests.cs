using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Platform.Events;
using SmartParking.Tests.Events;
using SmartParking.Tests.Infrastructure;
using Xunit;

namespace SmartParking.Tests.Notifications;

/// <summary>The real pipeline with an integrator's webhook: a domain event → the forwarder → the delivery log → a signed POST.</summary>
public sealed class WebhookDeliveryFactory : NotificationsFactory
{
    public FakeWebhookReceiver Receiver { get; } = new();

    public override async Task InitializeAsync()
    {
        await Receiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Notifications:Webhooks:AllowPrivateHosts"] = "true";
    }

    protected override async Task OnHostStoppedAsync()
    {
        await base.OnHostStoppedAsync();
        await Receiver.DisposeAsync();
    }
}

public sealed class IntegrationEndToEndTests(WebhookDeliveryFactory factory) : IClassFixture<WebhookDeliveryFactory>
{
    [Fact]
    public async Task DomainEvent_TenantWithAWebhook_ArrivesSignedThroughTheDeliveryLogOnce()
    {
        using var client = factory.OperatorClient();
        var created = await (await client.PostAsJsonAsync("/api/v1/manage/webhooks", new { url = factory.Receiver.Url("ok"), eventTypes = new[] { "PriceChanged" } }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        var secret = created.Str("signingSecret");
        var lot = Guid.NewGuid();
        var changed = new PriceChanged(lot, lot, null, factory.TenantId, 17.5m, null, factory.Clock.GetUtcNow());

        await factory.AppendAsync(changed);
        await factory.DrainAsync();
        await factory.SendDueAsync();
        // Delivered again (at least once) and sent again: the delivery log keeps it to one request.
        await factory.DrainAsync();
        await factory.SendDueAsync();

        var received = factory.Receiver.Requests.Where(r => r.Path.EndsWith("/ok", StringComparison.Ordinal) && r.Body.Contains(lot.ToString(), StringComparison.Ordinal)).ToList();
        received.Count.ShouldBe(1);
        FakeWebhookReceiver.SignatureIsValid(received[0], secret).ShouldBeTrue();
        received[0].Event.ShouldBe("PriceChanged");
        var body = JsonDocument.Parse(received[0].Body).RootElement;
        body.GetProperty("type").GetString().ShouldBe("PriceChanged");
        body.GetProperty("data").GetProperty("rateNow").GetDecimal().ShouldBe(17.5m);
        var logged = new List<(string Status, string Text)>();
        await using (var command = factory.Sql.CreateCommand("select status, body_text_encrypted from notification_messages where address_index = $1 and kind = 'webhook'"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = factory.NotificationAddressIndex(factory.Receiver.Url("ok").ToString()) });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                logged.Add((reader.GetString(0), factory.OpenNotificationField((byte[])reader[1], SmartParking.Server.Modules.Notifications.NotificationFields.BodyText)));
        }
        logged.Where(m => m.Text.Contains(lot.ToString(), StringComparison.Ordinal)).Select(m => m.Status).ShouldBe(["sent"]);
    }

    [Fact]
    public async Task EventOfAnotherTenant_IsNotForwardedToThisTenantsWebhook()
    {
        using var client = factory.OperatorClient();
        await (await client.PostAsJsonAsync("/api/v1/manage/webhooks", new { url = factory.Receiver.Url("accepted"), eventTypes = new[] { "PriceChanged" } }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        var lot = Guid.NewGuid();

        await factory.AppendAsync(new PriceChanged(lot, lot, null, Guid.NewGuid(), 9m, null, factory.Clock.GetUtcNow()));
        await factory.DrainAsync();
        await factory.SendDueAsync();

        factory.Receiver.Requests.ShouldNotContain(r => r.Body.Contains(lot.ToString(), StringComparison.Ordinal));
    }
}
