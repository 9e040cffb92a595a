using System.Net;
using System.Net.Http.Json;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Notifications;

public sealed class PreferencesTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    private const string Path = "/api/v1/me/notification-preferences";

    [Fact]
    public async Task GetPreferences_NeverChosen_EmailForEveryKindAndNoMarketing()
    {
        using var client = factory.ClientFor(await factory.RegisterDriverAsync());

        var prefs = await client.GetJsonAsync(Path);

        prefs.Str("language").ShouldBe("en");
        prefs.GetProperty("marketing").GetBoolean().ShouldBeFalse();
        prefs.GetProperty("channels").GetProperty("reservation_confirmed").EnumerateArray().Select(c => c.GetString()).ShouldBe(["email"]);
    }

    [Fact]
    public async Task PutPreferences_Valid_SavedAndReadBack()
    {
        using var client = factory.ClientFor(await factory.RegisterDriverAsync());

        await (await client.PutAsJsonAsync(Path, new
        {
            language = "da", phone = "+45 12 34 56 78", channels = new Dictionary<string, string[]> { ["session_expiring"] = ["sms", "email"] },
            quietHours = new { start = "22:00", end = "07:00", timeZone = "Europe/Copenhagen" },
        })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var prefs = await client.GetJsonAsync(Path);
        prefs.Str("language").ShouldBe("da");
        prefs.Str("phone").ShouldBe("+4512345678");
        prefs.GetProperty("channels").GetProperty("session_expiring").EnumerateArray().Select(c => c.GetString()).ShouldBe(["sms", "email"]);
        prefs.GetProperty("quietHours").Str("start").ShouldBe("22:00");
        prefs.GetProperty("quietHours").Str("timeZone").ShouldBe("Europe/Copenhagen");
    }

    [Theory]
    [InlineData("""{"phone":"12345"}""", "phone")]
    [InlineData("""{"channels":{"refund_issued":["sms"]}}""", "phone")]
    [InlineData("""{"channels":{"refund_issued":["pigeon"]}}""", "channels.refund_issued")]
    [InlineData("""{"channels":{"no_such_kind":["email"]}}""", "channels")]
    [InlineData("""{"language":"xx"}""", "language")]
    [InlineData("""{"quietHours":{"start":"22:00","end":"07:00","timeZone":"Mars/Olympus"}}""", "quietHours.timeZone")]
    [InlineData("""{"quietHours":{"start":"25:00","end":"07:00","timeZone":"UTC"}}""", "quietHours.start")]
    public async Task PutPreferences_BadField_400NamingTheField(string body, string field)
    {
        using var client = factory.ClientFor(await factory.RegisterDriverAsync());

        var response = await client.PutAsync(Path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task PutPreferences_MarketingOnThenOff_ConsentHistoryRecordsTimeSourceAndPolicy()
    {
        using var client = factory.ClientFor(await factory.RegisterDriverAsync());

        await (await client.PutAsJsonAsync(Path, new { marketing = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await client.PutAsJsonAsync(Path, new { language = "da" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        factory.Clock.Advance(TimeSpan.FromMinutes(5));
        await (await client.PutAsJsonAsync(Path, new { marketing = false })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        // The marketing choice is the marketing_notifications consent, kept with its history by the Privacy module.
        var history = (await client.GetJsonAsync("/api/v1/me/consents")).GetProperty("history").EnumerateArray().ToList();
        history.Count.ShouldBe(2, "only changes of consent are recorded");
        history.ShouldAllBe(h => h.GetProperty("purpose").GetString() == "marketing_notifications");
        history[0].GetProperty("granted").GetBoolean().ShouldBeFalse();
        history[1].GetProperty("granted").GetBoolean().ShouldBeTrue();
        history.ShouldAllBe(h => h.GetProperty("source").GetString() == "api" && h.GetProperty("policyVersion").GetString()!.Length > 0);
        (history[0].GetProperty("recordedAt").GetDateTimeOffset() - history[1].GetProperty("recordedAt").GetDateTimeOffset()).ShouldBe(TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Preferences_TwoDrivers_EachSeesOnlyTheirOwn()
    {
        using var first = factory.ClientFor(await factory.RegisterDriverAsync());
        using var second = factory.ClientFor(await factory.RegisterDriverAsync());

        await (await first.PutAsJsonAsync(Path, new { phone = "+4511111111", marketing = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        var other = await second.GetJsonAsync(Path);
        other.GetProperty("phone").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        other.GetProperty("marketing").GetBoolean().ShouldBeFalse();
        (await second.GetJsonAsync("/api/v1/me/consents")).GetProperty("history").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task MyParkingPage_SignedInDriver_ShowsTheirNotificationSettings()
    {
        var driver = await factory.RegisterDriverAsync();
        using var api = factory.ClientFor(driver);
        await (await api.PutAsJsonAsync(Path, new { phone = "+4587654321", language = "da" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        using var browser = factory.Anonymous();
        await SmartParking.Tests.Web.WebSignInTests.SignInAsync(browser, driver.Email, driver.Password);

        var page = await browser.GetStringAsync("/me");

        page.ShouldContain("id=\"notifications-heading\"");
        System.Net.WebUtility.HtmlDecode(page).ShouldContain("value=\"+4587654321\"");
    }

    [Fact]
    public async Task Preferences_Anonymous_401()
    {
        using var client = factory.Anonymous();

        (await client.GetAsync(Path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task DeliveryLog_OperatorsAndDrivers_SeeOnlyTheirOwnMessages()
    {
        var driver = await factory.RegisterDriverAsync();
        var (otherTenant, otherClient, _) = await factory.NewTenantWithOperatorAsync();
        await factory.Queue.QueueAsync([
            new(Guid.NewGuid(), factory.TenantId, "refund_issued", new SmartParking.Server.Modules.Notifications.DriverRecipient(driver.Id),
                new Dictionary<string, string> { ["amount"] = "5.00 DKK", ["reason"] = "Test" }),
        ], CancellationToken.None);

        using var own = factory.OperatorClient();
        var page = await own.GetJsonAsync("/api/v1/manage/notifications/messages?kind=refund_issued");
        page.Items().ShouldContain(m => m.Str("address") == driver.Email);
        page.Items().ShouldAllBe(m => m.GetProperty("tenantId").GetGuid() == factory.TenantId);

        var foreign = await otherClient.GetJsonAsync($"/api/v1/manage/notifications/messages?tenantId={factory.TenantId}");
        foreign.ToString().ShouldNotContain(driver.Email);
        otherTenant.ShouldNotBe(factory.TenantId);

        using var driverClient = factory.ClientFor(driver);
        var mine = await driverClient.GetJsonAsync("/api/v1/me/notifications");
        mine.Items().ShouldHaveSingleItem().Str("kind").ShouldBe("refund_issued");
        (await factory.ClientFor(await factory.RegisterDriverAsync()).GetJsonAsync("/api/v1/me/notifications")).Items().ShouldBeEmpty();
        (await driverClient.GetAsync("/api/v1/manage/notifications/messages")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task DeliveryLog_BadFilter_400NamingIt()
    {
        using var client = factory.OperatorClient();

        await (await client.GetAsync("/api/v1/manage/notifications/messages?status=lost")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "status");
    }
}
