using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Pricing;

public static class PricingModule
{
    public static void AddPricingModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PricingOptions>().BindConfiguration(PricingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PricingInputsCache>();
        builder.Services.AddSingleton<PricingService>();
        builder.Services.AddSingleton<PricingPolicies>();
        builder.Services.AddSingleton<PricingEvents>();
        builder.Services.AddSingleton<PricingExperiments>();
        builder.Services.AddEventSubscriber<ExperimentLedger>("pricing.experiments", EventDelivery.Durable);
        builder.Services.AddTable<PriceHistoryTable>();
        builder.Services.AddSingleton<OccupancyHistory>();
        builder.Services.AddSingleton<Repricing>();
        builder.Services.AddSingleton<IScheduledJob>(sp => sp.GetRequiredService<Repricing>());
        builder.Services.AddSingleton<ICurrentPrices, CurrentPrices>();
    }
}
