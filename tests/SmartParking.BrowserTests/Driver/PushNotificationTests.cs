using System.Text.Json;
using Microsoft.Playwright;
using SmartParking.BrowserTests.Infrastructure;
using SmartParking.Tests.Notifications;
using static Microsoft.Playwright.Assertions;

namespace SmartParking.BrowserTests.Driver;

/// <summary>
/// A driver turns on notifications on "My parking": the page registers the service worker, asks permission, subscribes
/// with the server's VAPID key and saves the subscription; a test push then arrives, decrypted, at a local push service.
/// <para>
/// Stubbed, and why: headless Chromium without network cannot reach a real push service (Chrome's is Google's FCM), so
/// its PushManager.subscribe would fail. An init script replaces PushManager.prototype.subscribe and getSubscription
/// with ones that answer a subscription whose endpoint is <see cref="FakePushService"/> and whose keys are a P-256 key
/// pair and auth secret this test made (as a browser would), and records the applicationServerKey it was given.
/// Everything else is real: the service worker registration, the permission prompt (granted in the context), the page's
/// JS, the circuit, the server's storage, the Web Push channel's VAPID signature and RFC 8291 encryption.
/// </para>
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PushNotificationTests(BrowserHost host) : IAsyncLifetime
{
    private readonly FakePushService _push = new();

    public Task InitializeAsync() => _push.StartAsync();

    public async Task DisposeAsync() => await _push.DisposeAsync();

    private static string StubScript(FakePushService.BrowserSubscription device) => $$"""
        (() => {
          const subscription = {
            endpoint: {{JsonSerializer.Serialize(device.Endpoint.ToString())}},
            expirationTime: null,
            options: null,
            toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: {{JsonSerializer.Serialize(device.P256dh)}}, auth: {{JsonSerializer.Serialize(device.Auth)}} } }; },
            async unsubscribe() { window.__pushSubscribed = false; return true; },
          };
          window.__pushSubscribed = false;
          PushManager.prototype.subscribe = async function (options) {
            const key = new Uint8Array(options.applicationServerKey);
            window.__applicationServerKey = btoa(String.fromCharCode(...key)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
            window.__pushSubscribed = true;
            subscription.options = options;
            return subscription;
          };
          PushManager.prototype.getSubscription = async function () { return window.__pushSubscribed ? subscription : null; };
        })();
        """;

    private async Task<(string Email, string Password, string Token)> NewDriverAsync()
    {
        var (email, password) = ($"push-{Guid.NewGuid():N}@example.com", "Parking-Browser-2026");
        await host.Api.SendAsync(HttpMethod.Post, "/api/v1/auth/register", new { email, password, displayName = "Push Driver" }, token: "");
        var tokens = await host.Api.SendAsync(HttpMethod.Post, "/api/v1/auth/login", new { email, password }, token: "");
        return (email, password, tokens.GetProperty("accessToken").GetString()!);
    }

    private async Task<List<string>> ServerSubscriptionsAsync(string token) =>
        (await host.Api.SendAsync(HttpMethod.Get, "/api/v1/me/push-subscriptions", token: token)).EnumerateArray().Select(d => d.GetProperty("endpoint").GetString()!).ToList();

    [Fact]
    public async Task TurnOnNotifications_PermissionGranted_SubscriptionReachesServerAndTestPushArrivesDecrypted()
    {
        var device = _push.Subscribe();
        var driver = await NewDriverAsync();
        await using var watched = await host.OpenAsync("/account/login");
        var page = watched.Page;
        await watched.Context.GrantPermissionsAsync(["notifications"], new() { Origin = host.Server.BaseUri.GetLeftPart(UriPartial.Authority) });
        await watched.Context.AddInitScriptAsync(StubScript(device));
        await WebSignIn.AsAsync(page, driver.Email, driver.Password);

        await page.GotoAsync("/me");
        await Circuit.InteractiveAsync(page);
        await Expect(page.GetByTestId("push-status")).ToHaveTextAsync("Notifications are off for this device.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on notifications on this device" }).ClickAsync();
        await Expect(page.GetByTestId("push-status")).ToHaveTextAsync("Notifications are on for this device.");

        (await ServerSubscriptionsAsync(driver.Token)).ShouldBe([device.Endpoint.ToString()]);
        var publicKey = (await host.Api.SendAsync(HttpMethod.Get, "/api/v1/notifications/web-push/public-key", token: "")).GetProperty("publicKey").GetString();
        (await page.EvaluateAsync<string>("() => window.__applicationServerKey")).ShouldBe(publicKey);
        (await page.EvaluateAsync<string>("async () => (await navigator.serviceWorker.getRegistration('/'))?.active?.scriptURL ?? ''")).ShouldEndWith("/sw.js");

        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test notification" }).ClickAsync();
        await Expect(page.GetByTestId("push-message")).ToHaveTextAsync("Test notification sent.");
        var delivery = _push.DeliveriesTo(device).ShouldHaveSingleItem(string.Join("; ", _push.Refusals));
        using (var payload = JsonDocument.Parse(delivery.Payload))
        {
            payload.RootElement.GetProperty("title").GetString().ShouldBe("SmartParking");
            payload.RootElement.GetProperty("url").GetString().ShouldBe("/me");
        }
        delivery.VapidPublicKey.ShouldBe(publicKey);

        await page.GetByRole(AriaRole.Button, new() { Name = "Turn off notifications on this device" }).ClickAsync();
        await Expect(page.GetByTestId("push-status")).ToHaveTextAsync("Notifications are off for this device.");
        (await ServerSubscriptionsAsync(driver.Token)).ShouldBeEmpty();
        watched.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task TurnOnNotifications_PermissionDenied_SaysBlockedAndSavesNothing()
    {
        var device = _push.Subscribe();
        var driver = await NewDriverAsync();
        await using var watched = await host.OpenAsync("/account/login");
        var page = watched.Page;
        await watched.Context.AddInitScriptAsync(StubScript(device));
        // The person clicks "Block": answered here so the test does not depend on what headless Chromium does with a prompt.
        await watched.Context.AddInitScriptAsync("Notification.requestPermission = async () => 'denied';");
        await WebSignIn.AsAsync(page, driver.Email, driver.Password);

        await page.GotoAsync("/me");
        await Circuit.InteractiveAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on notifications on this device" }).ClickAsync();

        await Expect(page.GetByTestId("push-status")).ToContainTextAsync("blocked");
        (await ServerSubscriptionsAsync(driver.Token)).ShouldBeEmpty();
        watched.ShouldHaveNoErrors();
    }
}
