using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Availability;

/// <summary>
/// Every node's availability shows each unit's rate now: loaded from Pricing at start, then kept by following
/// PriceChanged on every node.
/// </summary>
public sealed class PriceView(AvailabilityModel availability, ICurrentPrices prices, ILogger<PriceView> logger) : IHostedService, IEventHandler<PriceChanged>
{
    public Task HandleAsync(PriceChanged domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        availability.SetPrice(domainEvent.UnitId, domainEvent.LotId, domainEvent.RateNow is { } rate ? new UnitPrice(rate, domainEvent.TypeRates) : null);
        return Task.CompletedTask;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            availability.SetPrices((await prices.AllAsync(cancellationToken)).ToDictionary(p => p.UnitId, p => new UnitPrice(p.RateNow, p.TypeRates)));
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Loading prices failed: {Error}; lots show their base rates until prices change", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
