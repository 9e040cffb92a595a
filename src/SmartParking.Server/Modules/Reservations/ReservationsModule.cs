using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Modules.Reservations.Booking;
using SmartParking.Server.Modules.Reservations.Rules;
using SmartParking.Server.Platform.Events;
using SmartParking.Server.Platform.Hosting;
using SmartParking.Server.Platform.Observability;
using SmartParking.Server.Platform.Scheduling;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Reservations;

public static class ReservationsModule
{
    public static void AddReservationsModule(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReservationOptions>().BindConfiguration(ReservationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ReservationService>();
        builder.Services.AddReservationFieldEncryption();
        builder.Services.AddSingleton<ReservationQueries>();
        builder.Services.AddSingleton<IDriverReservations, DriverReservations>();
        builder.Services.AddSingleton<IPersonalDataHolder, ReservationsPersonalData>();
        builder.Services.AddSingleton<IReservationLots>(sp => sp.GetRequiredService<ReservationQueries>());
        builder.Services.AddTable<ReservationsTable>();
        builder.Services.AddSingleton<IReservedWindows, ReservedWindows>();
        builder.Services.AddSingleton<IPaymentSettledHandler, ReservationPayments>();
        builder.Services.AddSingleton<IScheduledJob, ReservationJobs>();
        builder.Services.AddSingleton<IRetentionRule, ReservationPlateRetention>();
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SingleNodeJobs>(sp,
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ReservationOptions>>().Value.SweepSeconds)));
        // Every module's scheduled jobs run here, on worker nodes only (and there on one at a time).
        if (builder.NodeRole().Runs(NodeParts.Worker)) builder.Services.AddHostedService(sp => sp.GetRequiredService<SingleNodeJobs>());
        builder.Services.AddEventSubscriber<ReservationMetrics>("reservations.metrics", EventDelivery.Durable, wakes: false);
        builder.Services.AddCountGauge(ReservationMetrics.Active);
    }

    public static void MapReservationsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapReservationEndpoints();
        app.MapReservationPolicyEndpoints();
    }
}
