using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SmartParking.Server.Modules.Payments;
using SmartParking.Tests.Infrastructure;

namespace SmartParking.Tests.Payments;

/// <summary>A server whose Stripe and PayPal are local fakes; one tenant with an operator (from ManageFactory).</summary>
public class PaymentsFactory : ManageFactory
{
    public FakeStripe Stripe { get; } = new();
    public FakePayPal PayPal { get; } = new();
    public RecordingSettledHandler Settled { get; } = new();

    public const string StripeWebhookSecret = "whsec_test_smartparking";

    public IPaymentService Payments => Services.GetRequiredService<IPaymentService>();

    public override async Task InitializeAsync()
    {
        // The fakes must listen before the server reads their addresses from its settings.
        await Stripe.StartAsync();
        await PayPal.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings["Payments:Stripe:SecretKey"] = FakeStripe.SecretKey;
        settings["Payments:Stripe:WebhookSecret"] = StripeWebhookSecret;
        settings["Payments:Stripe:BaseUrl"] = Stripe.BaseUrl.ToString();
        settings["Payments:PayPal:ClientId"] = FakePayPal.ClientId;
        settings["Payments:PayPal:ClientSecret"] = FakePayPal.ClientSecret;
        settings["Payments:PayPal:WebhookId"] = FakePayPal.WebhookId;
        settings["Payments:PayPal:BaseUrl"] = PayPal.BaseUrl.ToString();
        settings["Payments:Sandbox:Enabled"] = "true";
        settings["Payments:Resilience:TimeoutMilliseconds"] = "5000";
        settings["Payments:Resilience:MaxRetryAttempts"] = "2";
        settings["Payments:Resilience:RetryBaseDelayMilliseconds"] = "1";
        // Most test classes must not trip the breaker by accident; the failover tests set their own.
        settings["Payments:Resilience:BreakerMinimumThroughput"] = "1000";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IPaymentSettledHandler>(Settled));
    }

    protected override async Task OnHostStoppedAsync()
    {
        await base.OnHostStoppedAsync();
        await Stripe.DisposeAsync();
        await PayPal.DisposeAsync();
    }

    /// <summary>A driver with the given saved methods, e.g. ("stripe", "pm_card_visa").</summary>
    public async Task<TestAccount> DriverWithAsync(params (string Provider, string Token)[] methods)
    {
        var driver = await RegisterDriverAsync();
        using var client = ClientFor(driver);
        foreach (var (provider, token) in methods)
            await (await client.PostAsJsonAsync("/api/v1/me/payment-methods", new { provider, token })).ShouldHaveStatusAsync(HttpStatusCode.Created);
        return driver;
    }

    public ChargeRequest Charge(TestAccount driver, decimal amount = 12.50m, string? key = null, Guid? referenceId = null, PaymentPurpose purpose = PaymentPurpose.Reservation) =>
        new(TenantId, driver.Id, purpose, referenceId ?? Guid.NewGuid(), amount, "DKK", key ?? Guid.NewGuid().ToString(), "Parking at Harbour Garage");

    public Task<string> StateOfAsync(Guid paymentId) => ScalarAsync<string>("select state from payments where id = $1", paymentId);

    /// <summary>Signs like Stripe: HMAC-SHA256 over "{t}.{body}", hex, in a Stripe-Signature header.</summary>
    public static string StripeSignature(string body, long timestamp, string secret = StripeWebhookSecret) =>
        $"t={timestamp},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")))}";
}

/// <summary>What another module (Reservations, Sessions) would hear about settlements.</summary>
public sealed class RecordingSettledHandler : IPaymentSettledHandler
{
    public ConcurrentQueue<PaymentSettled> Received { get; } = new();

    public Task HandleAsync(PaymentSettled settled, CancellationToken ct)
    {
        Received.Enqueue(settled);
        return Task.CompletedTask;
    }

    public int CountFor(Guid paymentId) => Received.Count(s => s.PaymentId == paymentId);
}
