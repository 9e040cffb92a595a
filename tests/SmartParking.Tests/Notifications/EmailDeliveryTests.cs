using MimeKit;
using SmartParking.Server.Modules.Notifications;

namespace SmartParking.Tests.Notifications;

public sealed class EmailDeliveryTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    public async Task SendDue_EmailToLocalSmtpServer_ArrivesWithTextHtmlAndTheLink()
    {
        var address = $"ops-{Guid.NewGuid():N}@example.org";

        await factory.QueueToAsync(ChannelKind.Email, address);
        await factory.SendDueAsync();

        var mail = await factory.Smtp.WaitForAsync(address);
        mail.From.Mailboxes.ShouldHaveSingleItem().Address.ShouldBe("no-reply@parking.example.org");
        mail.To.Mailboxes.ShouldHaveSingleItem().Address.ShouldBe(address);
        mail.Subject.ShouldBe("Sensor offline (Harbour lot)");
        mail.Body.ShouldBeOfType<MultipartAlternative>();
        mail.TextBody.ShouldNotBeNull().ShouldContain("Sensor S-17 has not reported for 2 hours.");
        mail.TextBody.ShouldNotBeNull().ShouldContain("https://parking.example.org/admin/sensors");
        mail.HtmlBody.ShouldNotBeNull().ShouldContain("<a href=\"https://parking.example.org/admin/sensors\">Open in the dashboard</a>");
        var row = await factory.OnlyRowForAsync(address);
        row.Status.ShouldBe("sent");
        mail.MessageId.ShouldBe($"{row.Id:N}@parking.example.org");
        row.ProviderMessageId.ShouldBe($"<{mail.MessageId}>");
    }

    [Fact]
    public async Task SendDue_SmtpAnswers4xx_RetriedLaterThenSentOnce()
    {
        var address = $"ops-{Guid.NewGuid():N}@example.org";
        factory.Smtp.Answer(451);

        await factory.QueueToAsync(ChannelKind.Email, address);
        await factory.SendDueAsync();

        var waiting = await factory.OnlyRowForAsync(address);
        waiting.Status.ShouldBe("queued");
        waiting.Attempts.ShouldBe(1);
        waiting.Reason.ShouldNotBeNull().ShouldContain("451");
        waiting.NextAttemptAt.ShouldBe(factory.Clock.GetUtcNow().AddSeconds(30), TimeSpan.FromSeconds(1));

        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await factory.SendDueAsync();

        (await factory.OnlyRowForAsync(address)).Status.ShouldBe("sent");
        await factory.Smtp.WaitForAsync(address);
        factory.Smtp.To(address).Count.ShouldBe(1);
    }

    [Fact]
    public async Task SendDue_SmtpAnswers5xx_FailedWithTheServersReasonAndNotRetried()
    {
        var address = $"ops-{Guid.NewGuid():N}@example.org";
        factory.Smtp.Answer(550);

        await factory.QueueToAsync(ChannelKind.Email, address);
        await factory.SendDueAsync();
        factory.Clock.Advance(TimeSpan.FromHours(1));
        await factory.SendDueAsync();

        var row = await factory.OnlyRowForAsync(address);
        row.Status.ShouldBe("failed");
        row.Attempts.ShouldBe(1);
        row.Reason.ShouldNotBeNull().ShouldContain("SMTP 550");
        factory.Smtp.To(address).ShouldBeEmpty();
    }

    [Fact]
    public async Task Queue_EmailWithoutCallingSend_ArrivesThroughTheWakeUp()
    {
        var address = $"ops-{Guid.NewGuid():N}@example.org";

        await factory.QueueToAsync(ChannelKind.Email, address, urgent: true);

        // No SendDueAsync: the queue wakes the background sender.
        (await factory.Smtp.WaitForAsync(address, TimeSpan.FromSeconds(10))).Subject.ShouldBe("Sensor offline (Harbour lot)");
    }
}
