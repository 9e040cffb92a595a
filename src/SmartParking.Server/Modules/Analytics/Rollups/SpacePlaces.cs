using System.Collections.Concurrent;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Analytics.Rollups;

/// <summary>
/// Zone and space type of each space, from the Lots contract, cached per node: rollups split every figure by them.
/// A catalogue change forgets the lot's spaces, so a space moved to another zone is counted there from then on.
/// </summary>
public sealed class SpacePlaces(NpgsqlDataSource db) : IEventHandler<LotCatalogChanged>
{
    private readonly ConcurrentDictionary<Guid, PlacedSpace> _spaces = new();

    public Task HandleAsync(LotCatalogChanged domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        foreach (var (id, space) in _spaces)
            if (space.LotId == domainEvent.LotId) _spaces.TryRemove(id, out _);
        return Task.CompletedTask;
    }

    /// <summary>The tenant's spaces among these ids (a deleted space is left out), loading the ones not cached in one query.</summary>
    public async Task<IReadOnlyDictionary<Guid, PlacedSpace>> OfAsync(Guid tenantId, IReadOnlyCollection<Guid> spaceIds, CancellationToken ct)
    {
        var found = new Dictionary<Guid, PlacedSpace>();
        var missing = new List<Guid>();
        foreach (var id in spaceIds)
            if (_spaces.TryGetValue(id, out var space)) found[id] = space;
            else missing.Add(id);
        if (missing.Count == 0) return found;
        await using var connection = await db.OpenConnectionAsync(ct);
        foreach (var space in await TenantPlaces.SpacesAsync(connection, null, tenantId, [.. missing], [], ct))
        {
            _spaces[space.Id] = space;
            found[space.Id] = space;
        }
        return found;
    }
}
