using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// A pricing unit's rate now changed (a scheduler run, or a policy edit that reset it: then RateNow is null until the
/// next run). The unit is a lot, or a zone with a policy of its own.
/// </summary>
public sealed record PriceChanged(Guid UnitId, Guid LotId, Guid? ZoneId, Guid TenantId, decimal? RateNow, IReadOnlyDictionary<string, decimal>? TypeRates, DateTimeOffset At)
    : IDomainEvent
{
    public string AggregateId => UnitId.ToString();
    Guid? IDomainEvent.TenantId => TenantId;
}

/// <summary>A pricing unit's price now, as Pricing keeps it.</summary>
public sealed record CurrentPrice(Guid UnitId, Guid LotId, decimal RateNow, IReadOnlyDictionary<string, decimal>? TypeRates);

/// <summary>Pricing's answer to "what does everything cost now", for a module rebuilding its view before following PriceChanged.</summary>
public interface ICurrentPrices
{
    Task<IReadOnlyList<CurrentPrice>> AllAsync(CancellationToken ct);
}
