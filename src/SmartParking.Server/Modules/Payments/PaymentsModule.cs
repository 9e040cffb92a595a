using SmartParking.Server.Modules.Payments.Ledger;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Modules.Payments.Providers;
using SmartParking.Server.Modules.Payments.Providers.PayPal;
using SmartParking.Server.Modules.Payments.Providers.Sandbox;
using SmartParking.Server.Modules.Payments.Providers.Stripe;
using SmartParking.Server.Modules.Payments.Receipts;
using SmartParking.Server.Modules.Payments.Wallet;
using SmartParking.Server.Modules.Payments.Webhooks;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Payments;

public static class PaymentsModule
{
    public static void AddPaymentsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentsOptions>().Bind(builder.Configuration.GetSection(PaymentsOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => Valid(o.Stripe) && Valid(o.PayPal) && Valid(o.Resilience), "Payments settings are out of range (see the PaymentsOptions attributes).")
            .Validate(o => !o.StripeEnabled || !string.IsNullOrWhiteSpace(o.Stripe.WebhookSecret), "Payments:Stripe:WebhookSecret is required when Stripe is configured.")
            .Validate(o => !o.PayPalEnabled || !string.IsNullOrWhiteSpace(o.PayPal.WebhookId), "Payments:PayPal:WebhookId is required when PayPal is configured.")
            .ValidateOnStart();

        // Timeouts belong to the Polly pipelines (per attempt); HttpClient's own is only a backstop.
        builder.Services.AddHttpClient(StripeProvider.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(2));
        builder.Services.AddHttpClient(PayPalClient.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(2));
        builder.Services.AddSingleton<PayPalClient>();
        builder.Services.AddSingleton<PayPalWebhooks>();
        builder.Services.AddSingleton<IPaymentProvider, StripeProvider>();
        builder.Services.AddSingleton<IPaymentProvider, PayPalProvider>();
        builder.Services.AddSingleton<IPaymentProvider, SandboxProvider>();
        builder.Services.AddSingleton<ProviderResilience>();
        builder.Services.AddSingleton<IPaymentProviderHealth>(sp => sp.GetRequiredService<ProviderResilience>());
        builder.Services.AddSingleton<PaymentRouter>();
        builder.Services.AddSingleton<WalletStore>();
        builder.Services.AddSingleton<IDriverWallet>(sp => sp.GetRequiredService<WalletStore>());
        builder.Services.AddSingleton<PaymentLedger>();
        builder.Services.AddSingleton<SettlementAnnouncer>();
        builder.Services.AddSingleton<WebhookApplier>();
        builder.Services.AddSingleton<PaymentService>();
        builder.Services.AddSingleton<IScheduledJob, PaymentJobs>();
        builder.Services.AddSingleton<IRetentionRule, FinancialRecordRetention>();
        builder.Services.AddSingleton<PaymentRefunds>();
        builder.Services.AddTable<PaymentsTable>();
        builder.Services.AddSingleton<RevenueReports>();
        builder.Services.AddSingleton<IRevenueReports>(sp => sp.GetRequiredService<RevenueReports>());
        builder.Services.AddSingleton<IPaymentService>(sp => sp.GetRequiredService<PaymentService>());
        builder.Services.AddSingleton<IDriverPayments, DriverPaymentHistory>();
        builder.Services.AddSingleton<IPersonalDataHolder, PaymentsPersonalData>();
        builder.Services.AddEventSubscriber<PaymentMetrics>("payments.metrics", EventDelivery.Durable, wakes: false);
    }

    public static void MapPaymentsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapWalletEndpoints();
        app.MapWebhookEndpoints();
        app.MapReceiptEndpoints();
        app.MapPaymentManageEndpoints();
    }

    // Nested option objects are not covered by ValidateDataAnnotations.
    private static bool Valid(object section) =>
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(section, new System.ComponentModel.DataAnnotations.ValidationContext(section), null, validateAllProperties: true);
}
