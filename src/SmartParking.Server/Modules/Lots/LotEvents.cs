using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Lots;

/// <summary>
/// A lot, its spaces or its sensors changed (recorded by the database's triggers on lots, spaces and sensors, once per
/// lot per transaction): nodes forget what they cached of the lot and reload it.
/// </summary>
public sealed record LotCatalogChanged(Guid LotId) : IDomainEvent
{
    public string AggregateId => LotId.ToString();
    public Guid? TenantId => null;
}

/// <summary>A tenant's city guide (places, countries) changed.</summary>
public sealed record CityGuideChanged(Guid Tenant) : IDomainEvent
{
    public string AggregateId => Tenant.ToString();
    public Guid? TenantId => Tenant;
}
