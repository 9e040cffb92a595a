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
