using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SmartParking.Tests.Infrastructure;
using Xunit;

namespace SmartParking.Tests.Privacy;

/// <summary>Consent per purpose: recorded with time, source and policy version, withdrawable, the one source Notifications asks.</summary>
public sealed class RightsConsentTests(ManageFactory factory) : IClassFixture<ManageFactory>
{
    private const string Path = "/api/v1/me/consents";

    private static JsonElement Current(JsonElement consents, string purpose) =>
        consents.GetProperty("current").EnumerateArray().Single(c => c.Str("purpose") == purpose);

    [Fact]
    public async Task Get_NeverAsked_EveryPurposeNotGiven_NoHistory()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        var consents = await client.GetJsonAsync(Path);

        consents.GetProperty("current").EnumerateArray().Select(c => c.Str("purpose")).Order().ShouldBe(["analytics", "marketing_notifications"]);
        consents.GetProperty("current").EnumerateArray().ShouldAllBe(c => !c.GetProperty("granted").GetBoolean());
        consents.GetProperty("history").GetArrayLength().ShouldBe(0);
        consents.Str("policyVersion").ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Put_GiveThenWithdraw_EachChangeKeptWithTimeSourceAndPolicy()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        await (await client.PutAsJsonAsync(Path, new { analytics = true, marketingNotifications = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        await (await client.PutAsJsonAsync(Path, new { analytics = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var consents = await (await client.PutAsJsonAsync(Path, new { analytics = false })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        Current(consents, "analytics").GetProperty("granted").GetBoolean().ShouldBeFalse();
        Current(consents, "marketing_notifications").GetProperty("granted").GetBoolean().ShouldBeTrue();
        var history = consents.GetProperty("history").EnumerateArray().ToList();
        history.Count.ShouldBe(3, "a repeated yes is not a change");
        history[0].Str("purpose").ShouldBe("analytics");
        history[0].GetProperty("granted").GetBoolean().ShouldBeFalse();
        history.ShouldAllBe(h => h.Str("source") == "api" && h.Str("policyVersion") == consents.Str("policyVersion"));
        history.ShouldAllBe(h => h.GetProperty("recordedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task Put_NoPurpose_ProblemNamesTheRequest()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        await (await client.PutAsJsonAsync(Path, new { })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request");
    }

    [Fact]
    public async Task Put_NotABoolean_ProblemNotA500()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        var response = await client.PutAsync(Path, new StringContent("""{"analytics":"perhaps"}""", System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task NotificationPreferences_MarketingIsTheMarketingConsent_BothWays()
    {
        var driver = await factory.RegisterDriverAsync();
        using var client = factory.ClientFor(driver);

        await (await client.PutAsJsonAsync("/api/v1/me/notification-preferences", new { marketing = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var afterPreferences = await client.GetJsonAsync(Path);
        Current(afterPreferences, "marketing_notifications").GetProperty("granted").GetBoolean().ShouldBeTrue();
        Current(afterPreferences, "marketing_notifications").Str("source").ShouldBe("api");

        await (await client.PutAsJsonAsync(Path, new { marketingNotifications = false })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        (await client.GetJsonAsync("/api/v1/me/notification-preferences")).GetProperty("marketing").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Get_OnlyTheCallersOwn()
    {
        var first = await factory.RegisterDriverAsync();
        var second = await factory.RegisterDriverAsync();
        using var firstClient = factory.ClientFor(first);
        using var secondClient = factory.ClientFor(second);
        await (await firstClient.PutAsJsonAsync(Path, new { analytics = true })).ShouldHaveStatusAsync(HttpStatusCode.OK);

        (await secondClient.GetJsonAsync(Path)).GetProperty("history").GetArrayLength().ShouldBe(0);
    }
}
