using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

/// <summary>From a change in another module, through the event log and the dispatcher, to an e-mail the SMTP server accepted.</summary>
public sealed partial class NotificationEndToEndTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    public async Task SessionEndingIn15Minutes_ReachesSmtpWithAnExtendLinkThatWorks()
    {
        var (driver, client, lotId) = await DriverAtAnOpenLotAsync();
        var session = await (await client.PostAsJsonAsync("/api/v1/sessions", new { lotId, plate = "EE 12 345", durationMinutes = 30 })).ShouldHaveStatusAsync(HttpStatusCode.Created);

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        await factory.Services.GetRequiredService<SingleNodeJobs>().RunRoundAsync(CancellationToken.None);
        await factory.Services.GetRequiredService<EventDispatcher>().DrainAsync(CancellationToken.None);

        // No SendDueAsync: queuing woke the sender.
        var mail = await factory.Smtp.WaitForAsync(driver.Email);
        mail.Subject.ShouldNotBeNull().ShouldContain("EE12345");
        var link = ExtendLink().Match(mail.TextBody!).Value;
        link.ShouldNotBeEmpty();
        using var browser = factory.Anonymous();
        var extended = await browser.PostAsync(new Uri(link).PathAndQuery, null);
        (await extended.Content.ReadAsStringAsync()).ShouldContain("now ends");
        (await client.GetJsonAsync($"/api/v1/sessions/{session.Id()}")).GetProperty("endsAt").GetDateTimeOffset()
            .ShouldBe(session.GetProperty("endsAt").GetDateTimeOffset().AddMinutes(30));
    }

    [Fact]
    public async Task ReservationPaid_DriverGetsTheConfirmationWithTheReceiptLink()
    {
        var (driver, client, lotId) = await DriverAtAnOpenLotAsync();
        using var op = factory.OperatorClient();
        var spaceId = (await op.CreateSpaceAsync(lotId, Payloads.Space("E-1"))).Id();
        var start = factory.Clock.GetUtcNow().AddHours(3);
        var reservation = await (await client.PostAsJsonAsync("/api/v1/reservations", new { lotId, spaceId, start, end = start.AddHours(1) })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        await (await client.PostAsync($"/api/v1/reservations/{reservation.Id()}/payment", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);

        await factory.Services.GetRequiredService<EventDispatcher>().DrainAsync(CancellationToken.None);
        await factory.SendDueAsync();

        var mail = await factory.Smtp.WaitForAsync(driver.Email);
        mail.Subject.ShouldBe("Your parking at Open all hours is confirmed");
        mail.TextBody.ShouldNotBeNull().ShouldContain($"https://parking.example.org/me/receipts/{reservation.Id()}");
    }

    private async Task<(TestAccount Driver, HttpClient Client, Guid LotId)> DriverAtAnOpenLotAsync()
    {
        var driver = await factory.RegisterDriverAsync();
        var client = factory.ClientFor(driver);
        using var op = factory.OperatorClient();
        var lot = Payloads.Lot("Open all hours");
        lot["openingHours"] = new System.Text.Json.Nodes.JsonArray();
        var lotId = (await op.CreateLotAsync(lot)).Id();
        await (await client.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider = "sandbox", token = "sandbox_ok" })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        return (driver, client, lotId);
    }

    [GeneratedRegex(@"https://parking\.example\.org/notifications/extend/\S+")]
    private static partial Regex ExtendLink();
}
