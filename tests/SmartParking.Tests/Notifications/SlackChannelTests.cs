using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Notifications;
using SmartParking.Server.Modules.Notifications.Slack;

namespace SmartParking.Tests.Notifications;

public sealed class FakeSlackFixture : IAsyncLifetime
{
    public FakeSlack Slack { get; } = new();
    public SlackChannel Channel { get; } = new(new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>(), TimeProvider.System);

    public Task InitializeAsync() => Slack.StartAsync();

    public async Task DisposeAsync() => await Slack.DisposeAsync();
}

/// <summary>The Slack channel against a local server that answers as Slack's incoming webhooks do.</summary>
public sealed class SlackChannelTests(FakeSlackFixture fixture) : IClassFixture<FakeSlackFixture>
{
    private static OutgoingMessage Message(string hook, string subject = "Sensor offline", string text = "Sensor S-17 in Harbour Garage stopped reporting.", string? link = null) =>
        new(Guid.NewGuid(), hook, subject, text, null, link);

    [Theory]
    [InlineData("ok", DeliveryOutcome.Sent, null)]
    [InlineData("invalid", DeliveryOutcome.PermanentFailure, "invalid_payload")]
    [InlineData("prohibited", DeliveryOutcome.PermanentFailure, "action_prohibited")]
    [InlineData("missing", DeliveryOutcome.PermanentFailure, "no_service")]
    [InlineData("archived", DeliveryOutcome.PermanentFailure, "channel_is_archived")]
    [InlineData("limited", DeliveryOutcome.TransientFailure, "rate_limited")]
    [InlineData("broken", DeliveryOutcome.TransientFailure, "rollup_error")]
    public async Task Send_SlackAnswer_IsClassifiedWithSlacksReason(string hook, DeliveryOutcome outcome, string? reason)
    {
        var message = Message(fixture.Slack.Hook(hook));

        var result = (await fixture.Channel.SendAsync([message], CancellationToken.None)).Single();

        result.MessageId.ShouldBe(message.MessageId);
        result.Outcome.ShouldBe(outcome);
        if (reason is null) result.Error.ShouldBeNull();
        else result.Error.ShouldNotBeNull().ShouldContain(reason);
    }

    [Fact]
    public async Task Send_RateLimited_CarriesSlacksRetryAfter()
    {
        var result = (await fixture.Channel.SendAsync([Message(fixture.Slack.Hook("limited"))], CancellationToken.None)).Single();

        result.RetryAfter.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Send_SlackUnreachable_Transient()
    {
        // A port nothing listens on: the connection is refused.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = (await fixture.Channel.SendAsync([Message($"http://127.0.0.1:{port}/services/T/B/x")], CancellationToken.None)).Single();

        result.Outcome.ShouldBe(DeliveryOutcome.TransientFailure);
    }

    [Fact]
    public async Task Send_Message_PostsTextAndABlockWithBoldSubjectAndLinkEscapedForSlack()
    {
        var hook = fixture.Slack.Hook("ok") + "?payload-check=" + Guid.NewGuid();
        var message = Message(hook, subject: "Lot <B> & more", text: "Occupancy > 95%", link: "https://parking.example.org/admin/lots/1");

        (await fixture.Channel.SendAsync([message], CancellationToken.None)).Single().Outcome.ShouldBe(DeliveryOutcome.Sent);

        var post = fixture.Slack.Posts.Last(p => p.GetProperty("text").GetString()!.Contains("Lot &lt;B&gt; &amp; more", StringComparison.Ordinal));
        var text = post.GetProperty("text").GetString()!;
        text.ShouldStartWith("*Lot &lt;B&gt; &amp; more*\n");
        text.ShouldContain("Occupancy &gt; 95%");
        text.ShouldContain("<https://parking.example.org/admin/lots/1|Open>");
        var block = post.GetProperty("blocks")[0];
        block.GetProperty("type").GetString().ShouldBe("section");
        block.GetProperty("text").GetProperty("type").GetString().ShouldBe("mrkdwn");
        block.GetProperty("text").GetProperty("text").GetString().ShouldBe(text);
    }

    [Fact]
    public async Task Send_Batch_OneResultPerMessageInOrder()
    {
        var messages = new[] { Message(fixture.Slack.Hook("ok")), Message(fixture.Slack.Hook("archived")), Message("not a url") };

        var results = await fixture.Channel.SendAsync(messages, CancellationToken.None);

        results.Select(r => r.MessageId).ShouldBe(messages.Select(m => m.MessageId));
        results.Select(r => r.Outcome).ShouldBe([DeliveryOutcome.Sent, DeliveryOutcome.PermanentFailure, DeliveryOutcome.PermanentFailure]);
    }
}
