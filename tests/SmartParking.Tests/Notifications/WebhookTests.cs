using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Webhooks;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Modules.Sessions;
using SmartParking.Server.Platform.Events;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>Operators' webhook endpoints: registration, the signed channel against a verifying receiver, and the event forwarder.</summary>
public sealed class WebhookTests(ChannelsFactory factory) : IClassFixture<ChannelsFactory>
{
    private WebhookChannel Channel => factory.Channel<WebhookChannel>();

    private static async Task<(Guid Id, string Secret)> RegisterAsync(HttpClient client, Uri url, params string[] eventTypes)
    {
        var created = await (await client.PostAsJsonAsync("/api/v1/manage/webhooks", new { url, eventTypes, description = "Our ERP" }))
            .ShouldHaveStatusAsync(HttpStatusCode.Created);
        return (created.GetProperty("webhook").Id(), created.Str("signingSecret"));
    }

    private static OutgoingMessage Message(Uri url, string secret) =>
        new(Guid.NewGuid(), url.ToString(), "ReservationConfirmed", $$$"""{"id":"{{{Guid.NewGuid()}}}","type":"ReservationConfirmed","data":{"price":12.5}}""", null, SigningSecret: secret);

    [Fact]
    public async Task Send_SignedMessage_ReceiverVerifiesSignatureAndHeaders()
    {
        var url = factory.Receiver.Url("ok");
        var message = Message(url, "whsec_test-secret");

        var result = (await Channel.SendAsync([message], CancellationToken.None)).Single();

        result.Outcome.ShouldBe(DeliveryOutcome.Sent);
        var received = factory.Receiver.Requests.Single(r => r.Delivery == message.MessageId.ToString());
        received.Body.ShouldBe(message.Text);
        received.ContentType.ShouldBe("application/json");
        received.Event.ShouldBe("ReservationConfirmed");
        FakeWebhookReceiver.SignatureIsValid(received, "whsec_test-secret").ShouldBeTrue();
        FakeWebhookReceiver.SignatureIsValid(received, "whsec_another-secret").ShouldBeFalse();
        FakeWebhookReceiver.SignatureIsValid(received with { Body = received.Body.Replace("12.5", "1.25", StringComparison.Ordinal) }, "whsec_test-secret").ShouldBeFalse();
    }

    [Fact]
    public async Task Send_SameMessageTwice_KeepsItsDeliveryIdForReceiversToDedupe()
    {
        var message = Message(factory.Receiver.Url("down"), "whsec_retry");

        await Channel.SendAsync([message], CancellationToken.None);
        await Channel.SendAsync([message], CancellationToken.None);

        factory.Receiver.Requests.Count(r => r.Delivery == message.MessageId.ToString()).ShouldBe(2);
    }

    [Theory]
    [InlineData("ok", DeliveryOutcome.Sent)]
    [InlineData("accepted", DeliveryOutcome.Sent)]
    [InlineData("bad", DeliveryOutcome.PermanentFailure)]
    [InlineData("unauthorised", DeliveryOutcome.PermanentFailure)]
    [InlineData("timeout", DeliveryOutcome.TransientFailure)]
    [InlineData("limited", DeliveryOutcome.TransientFailure)]
    [InlineData("down", DeliveryOutcome.TransientFailure)]
    [InlineData("broken", DeliveryOutcome.TransientFailure)]
    public async Task Send_ReceiverAnswer_IsClassified(string answer, DeliveryOutcome outcome)
    {
        var result = (await Channel.SendAsync([Message(factory.Receiver.Url(answer), "whsec_x")], CancellationToken.None)).Single();

        result.Outcome.ShouldBe(outcome);
    }

    [Fact]
    public async Task Send_ReceiverAnswers429_CarriesRetryAfter()
    {
        var result = (await Channel.SendAsync([Message(factory.Receiver.Url("limited"), "whsec_x")], CancellationToken.None)).Single();

        result.RetryAfter.ShouldBe(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Send_ReceiverAnswers410_AddressGoneAndEndpointDisabled()
    {
        using var client = factory.OperatorClient();
        var (id, secret) = await RegisterAsync(client, factory.Receiver.Url("gone"));

        var result = (await Channel.SendAsync([Message(factory.Receiver.Url("gone"), secret)], CancellationToken.None)).Single();

        result.Outcome.ShouldBe(DeliveryOutcome.AddressGone);
        (await client.GetJsonAsync($"/api/v1/manage/webhooks/{id}")).GetProperty("disabledAt").ValueKind.ShouldBe(JsonValueKind.String);
    }

    [Fact]
    public async Task CreateWebhook_Valid_ShowsSecretOnceAndListsIt()
    {
        using var client = factory.OperatorClient();

        var (id, secret) = await RegisterAsync(client, factory.Receiver.Url("ok"), "SessionStarted", "PaymentSucceeded");

        secret.ShouldStartWith("whsec_");
        var listed = (await client.GetJsonAsync("/api/v1/manage/webhooks")).EnumerateArray().Single(w => w.Id() == id);
        listed.GetProperty("tenantId").GetGuid().ShouldBe(factory.TenantId);
        listed.GetProperty("eventTypes").EnumerateArray().Select(t => t.GetString()).ShouldBe(["SessionStarted", "PaymentSucceeded"]);
        listed.ToString().ShouldNotContain(secret);
        (await client.GetJsonAsync($"/api/v1/manage/webhooks/{id}")).ToString().ShouldNotContain(secret);
    }

    [Fact]
    public async Task RotateSecret_OwnWebhook_NewSecretSignsFromNowOn()
    {
        using var client = factory.OperatorClient();
        var (id, old) = await RegisterAsync(client, factory.Receiver.Url("ok"), "SessionStarted");

        var rotated = (await (await client.PostAsync($"/api/v1/manage/webhooks/{id}/secret", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("signingSecret");

        rotated.ShouldNotBe(old);
        var (tenant, forwarder) = (factory.TenantId, Forwarder());
        await ((IEventHandler<SessionStarted>)forwarder).HandleAsync(Session(tenant), Envelope(Session(tenant)), CancellationToken.None);
        factory.Queue.Requests.Select(r => ((AddressRecipient)r.Recipient).SigningSecret).ShouldContain(rotated);
        factory.Queue.Requests.Select(r => ((AddressRecipient)r.Recipient).SigningSecret).ShouldNotContain(old);
    }

    [Fact]
    public async Task DeleteWebhook_OwnWebhook_IsGone()
    {
        using var client = factory.OperatorClient();
        var (id, _) = await RegisterAsync(client, factory.Receiver.Url("ok"));

        await (await client.DeleteAsync($"/api/v1/manage/webhooks/{id}")).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        await (await client.GetAsync($"/api/v1/manage/webhooks/{id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WebhookChanges_CreateRotateDelete_AreAuditedWithTheOperatorButNeverTheSecret()
    {
        using var client = factory.OperatorClient();
        var url = factory.Receiver.Url("ok");
        var (id, secret) = await RegisterAsync(client, url, "SessionStarted");
        var rotated = (await (await client.PostAsync($"/api/v1/manage/webhooks/{id}/secret", null)).ShouldHaveStatusAsync(HttpStatusCode.OK)).Str("signingSecret");
        await (await client.DeleteAsync($"/api/v1/manage/webhooks/{id}")).ShouldHaveStatusAsync(HttpStatusCode.NoContent);

        var entries = (await client.GetJsonAsync($"/api/v1/manage/audit?entityType=webhook&entityId={id}")).Items().ToList();

        entries.Select(e => e.Str("action")).ShouldBe(["webhook.deleted", "webhook.secret_rotated", "webhook.created"]);
        entries.ShouldAllBe(e => e.Str("actorEmail") == factory.Operator.Email && e.GetProperty("tenantId").GetGuid() == factory.TenantId);
        var created = entries[2].GetProperty("changes");
        created.Str("url").ShouldBe(url.AbsoluteUri);
        created.GetProperty("eventTypes")[0].GetString().ShouldBe("SessionStarted");
        var text = string.Join("\n", entries.Select(e => e.ToString()));
        text.ShouldNotContain(secret);
        text.ShouldNotContain(rotated);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.org/hook")]
    [InlineData("https://user:secret@example.org/hook")]
    [InlineData("")]
    public async Task CreateWebhook_BadUrl_Returns400NamingUrl(string url)
    {
        using var client = factory.OperatorClient();

        var response = await client.PostAsJsonAsync("/api/v1/manage/webhooks", new { url, eventTypes = Array.Empty<string>() });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "url");
    }

    [Theory]
    [InlineData("NoSuchEvent")]
    [InlineData("SpaceStatusChanged")]
    [InlineData("reservationconfirmed")]
    public async Task CreateWebhook_UnknownEventType_Returns400NamingEventTypes(string eventType)
    {
        using var client = factory.OperatorClient();

        var response = await client.PostAsJsonAsync("/api/v1/manage/webhooks", new { url = "https://example.org/hook", eventTypes = new[] { "SessionStarted", eventType } });

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "eventTypes");
    }

    [Fact]
    public async Task EventTypes_List_NamesWhatAWebhookCanSubscribeTo()
    {
        using var client = factory.OperatorClient();

        var types = (await client.GetJsonAsync("/api/v1/manage/webhooks/event-types")).GetProperty("eventTypes").EnumerateArray().Select(t => t.GetString()).ToList();

        types.ShouldContain("ReservationConfirmed");
        types.ShouldContain("RefundIssued");
        types.ShouldContain("SensorWentOffline");
        types.ShouldContain("PriceChanged");
        types.ShouldNotContain("SpaceStatusChanged");
    }

    [Fact]
    public async Task CreateWebhook_Driver_Returns403()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        await (await client.PostAsJsonAsync("/api/v1/manage/webhooks", new { url = "https://example.org/hook" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
    }

    // ---- the forwarder -------------------------------------------------------------------------

    private WebhookForwarder Forwarder() => factory.Services.CreateScope().ServiceProvider.GetRequiredService<WebhookForwarder>();

    private static SessionStarted Session(Guid tenant) => new(new SessionFacts(Guid.NewGuid(), tenant, Guid.NewGuid(), Guid.NewGuid(), null, "AB 12 345",
        DateTimeOffset.Parse("2026-03-01T09:00:00Z"), DateTimeOffset.Parse("2026-03-01T10:00:00Z"), 20m, "DKK"));

    private static ReservationConfirmed Reservation(Guid tenant) => new(new ReservationFacts(Guid.NewGuid(), tenant, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(),
        "A-12", "standard", DateTimeOffset.Parse("2026-03-01T09:00:00Z"), DateTimeOffset.Parse("2026-03-01T11:00:00Z"), "confirmed", 50m, "DKK"));

    private static EventEnvelope Envelope(IDomainEvent e) =>
        new(Guid.NewGuid(), 1, e.GetType().Name, e.AggregateId, e.TenantId, DateTimeOffset.Parse("2026-03-01T08:59:00Z"), e, 1);

    private List<NotificationRequest> QueuedFor(Guid eventId) => factory.Queue.Requests.Where(r => r.SourceEventId == eventId).ToList();

    [Fact]
    public async Task Forward_EventOfTenant_QueuesOneSignedRequestPerMatchingEndpointOfThatTenantOnly()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        var (other, otherClient, _) = await factory.NewTenantWithOperatorAsync();
        using (client)
        using (otherClient)
        {
            var (_, allSecret) = await RegisterAsync(client, factory.Receiver.Url("ok"));
            await RegisterAsync(client, factory.Receiver.Url("accepted"), "SessionStarted");
            await RegisterAsync(otherClient, factory.Receiver.Url("ok"));
            var forwarder = Forwarder();
            var reservation = Reservation(tenant);
            var envelope = Envelope(reservation);

            await ((IEventHandler<ReservationConfirmed>)forwarder).HandleAsync(reservation, envelope, CancellationToken.None);

            var request = QueuedFor(envelope.EventId).ShouldHaveSingleItem();
            request.Kind.ShouldBe("webhook");
            request.TenantId.ShouldBe(tenant);
            request.Recipient.ShouldBe(new AddressRecipient(ChannelKind.Webhook, factory.Receiver.Url("ok").ToString(), SigningSecret: allSecret));
            request.Fields["type"].ShouldBe("ReservationConfirmed");
            using var body = JsonDocument.Parse(request.Fields["body"]);
            body.RootElement.GetProperty("id").GetGuid().ShouldBe(envelope.EventId);
            body.RootElement.GetProperty("type").GetString().ShouldBe("ReservationConfirmed");
            body.RootElement.GetProperty("occurredAt").GetDateTimeOffset().ShouldBe(envelope.OccurredAt);
            body.RootElement.GetProperty("tenantId").GetGuid().ShouldBe(tenant);
            body.RootElement.GetProperty("data").GetProperty("reservation").GetProperty("reservationId").GetGuid().ShouldBe(reservation.Reservation.ReservationId);

            var session = Session(tenant);
            var sessionEnvelope = Envelope(session);
            await ((IEventHandler<SessionStarted>)forwarder).HandleAsync(session, sessionEnvelope, CancellationToken.None);
            QueuedFor(sessionEnvelope.EventId).Count.ShouldBe(2);
            factory.Queue.Requests.ShouldNotContain(r => r.TenantId == other);
        }
    }

    [Fact]
    public async Task RecordedEvent_TenantWithWebhook_IsForwardedByTheDispatcher()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using (client)
        {
            var (_, secret) = await RegisterAsync(client, factory.Receiver.Url("ok"), "SessionStarted");
            var session = Session(tenant);
            await using (var connection = await factory.Sql.OpenConnectionAsync())
                await factory.Services.GetRequiredService<EventOutbox>().AppendAsync(connection, null, session, CancellationToken.None);

            await factory.Services.GetRequiredService<EventDispatcher>().DrainAsync(CancellationToken.None);

            var request = factory.Queue.Requests.Where(r => r.TenantId == tenant).ShouldHaveSingleItem();
            request.Recipient.ShouldBe(new AddressRecipient(ChannelKind.Webhook, factory.Receiver.Url("ok").ToString(), SigningSecret: secret));
            using var body = JsonDocument.Parse(request.Fields["body"]);
            body.RootElement.GetProperty("data").GetProperty("session").GetProperty("sessionId").GetGuid().ShouldBe(session.Session.SessionId);
        }
    }

    [Fact]
    public async Task Forward_TenantWithoutEndpoints_QueuesNothing()
    {
        var tenant = await factory.CreateTenantAsync();
        var sensor = new SensorWentOffline(new SensorFacts(Guid.NewGuid(), tenant, "S-1", null, null), null);
        var envelope = Envelope(sensor);

        await ((IEventHandler<SensorWentOffline>)Forwarder()).HandleAsync(sensor, envelope, CancellationToken.None);

        QueuedFor(envelope.EventId).ShouldBeEmpty();
    }

    [Fact]
    public async Task Forward_DisabledEndpoint_GetsNothing()
    {
        var (tenant, client, _) = await factory.NewTenantWithOperatorAsync();
        using (client)
        {
            var (_, secret) = await RegisterAsync(client, factory.Receiver.Url("gone"));
            await Channel.SendAsync([Message(factory.Receiver.Url("gone"), secret)], CancellationToken.None);
            var session = Session(tenant);
            var envelope = Envelope(session);

            await ((IEventHandler<SessionStarted>)Forwarder()).HandleAsync(session, envelope, CancellationToken.None);

            QueuedFor(envelope.EventId).ShouldBeEmpty();
        }
    }
}

/// <summary>Without Notifications:Webhooks:AllowPrivateHosts, only public https receivers are accepted, and only public addresses are connected to.</summary>
public sealed class WebhookUrlPolicyTests(ManageFactory factory) : IClassFixture<ManageFactory>, IAsyncLifetime
{
    private readonly FakeWebhookReceiver _receiver = new();

    public Task InitializeAsync() => _receiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Send_NameResolvingToLoopback_PermanentFailureAndNothingSent()
    {
        // "localhost" stands for any name that resolves into the platform's own network, which registration cannot see.
        var url = new UriBuilder(_receiver.Url("ok")) { Host = "localhost" }.Uri;
        var channel = factory.Services.GetServices<INotificationChannel>().OfType<WebhookChannel>().Single();

        var result = (await channel.SendAsync([new OutgoingMessage(Guid.NewGuid(), url.ToString(), "SessionStarted", "{}", null, SigningSecret: "whsec_x")],
            CancellationToken.None)).Single();

        result.Outcome.ShouldBe(DeliveryOutcome.PermanentFailure);
        result.Error.ShouldNotBeNull().ShouldContain("public hosts");
        _receiver.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("http://example.org/hook")]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://192.168.1.20/hook")]
    public async Task CreateWebhook_InsecureOrPrivateUrl_Returns400NamingUrl(string url)
    {
        using var client = factory.OperatorClient();

        await (await client.PostAsJsonAsync("/api/v1/manage/webhooks", new { url })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "url");
    }
}
