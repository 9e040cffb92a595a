using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Sensors.Ingest;

public sealed record SensorInfo(Guid SensorId, Guid TenantId, string Serial, Guid? SpaceId, Guid? LotId, byte[] SecretHash);
public sealed record SpotInfo
{
    public Guid SpaceId { get; init; }
    public Guid TenantId { get; init; }
    public Guid LotId { get; init; }
    public Guid? SensorId { get; init; }
}

/// <summary>
/// Resolves sensor serials and FIWARE space ids on the ingest path without a database round trip per reading.
/// Entries load on first use and are dropped whenever the catalogue changes (any node), so moves take effect at once.
/// </summary>
public sealed class SensorDirectory : IEventHandler<LotCatalogChanged>
{
    private const int MaxEntries = 500_000;
    private readonly NpgsqlDataSource _db;
    private readonly ConcurrentDictionary<string, SensorInfo?> _bySerial = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(Guid Tenant, string ExternalId), SpotInfo?> _byExternalId = new();

    public SensorDirectory(NpgsqlDataSource db)
    {
        _db = db;
    }

    public Task HandleAsync(LotCatalogChanged domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        ForgetLot(domainEvent.LotId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A lot, its spaces or its sensors changed: forget what concerns that lot, plus unknown serials and ids (they may
    /// have just been created). The rest of the cache stays warm.
    /// </summary>
    public void ForgetLot(Guid lotId)
    {
        foreach (var (serial, info) in _bySerial)
            if (info is null || info.LotId is null || info.LotId == lotId) _bySerial.TryRemove(serial, out _);
        foreach (var (key, spot) in _byExternalId)
            if (spot is null || spot.LotId == lotId) _byExternalId.TryRemove(key, out _);
    }

    public void Clear()
    {
        _bySerial.Clear();
        _byExternalId.Clear();
    }

    /// <summary>Loads every sensor at start, so the first reading of each does not pay a query inside its request.</summary>
    public async Task WarmAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        foreach (var row in await connection.QueryAsync<SensorRow>(new CommandDefinition(
                     "select id, tenant_id, serial, space_id, lot_id, secret_hash from sensors limit @MaxEntries", new { MaxEntries }, cancellationToken: ct)))
            _bySerial.TryAdd(row.Serial, new SensorInfo(row.Id, row.TenantId, row.Serial, row.SpaceId, row.LotId, row.SecretHash));
    }

    public async ValueTask<SensorInfo?> FindAsync(string serial, CancellationToken ct)
    {
        if (_bySerial.TryGetValue(serial, out var known)) return known;
        await using var connection = await _db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<SensorRow>(new CommandDefinition(
            "select id, tenant_id, serial, space_id, lot_id, secret_hash from sensors where serial = @serial", new { serial }, cancellationToken: ct));
        var info = row is null ? null : new SensorInfo(row.Id, row.TenantId, row.Serial, row.SpaceId, row.LotId, row.SecretHash);
        // Unknown serials are remembered too, so a misconfigured device cannot turn every reading into a query;
        // the bound keeps someone trying random serials from growing the cache without limit.
        if (_bySerial.Count > MaxEntries) _bySerial.Clear();
        _bySerial[serial] = info;
        return info;
    }

    /// <summary>The sensor when the secret is its own; constant-time comparison.</summary>
    public async ValueTask<SensorInfo?> VerifyAsync(string serial, string secret, CancellationToken ct)
    {
        if (serial.Length is 0 or > 200 || secret.Length is 0 or > 200) return null;
        var hash = DeviceCredentials.Hash(secret);
        var info = await FindAsync(serial, ct);
        if (info is not null && CryptographicOperations.FixedTimeEquals(info.SecretHash, hash)) return info;
        // The secret may have just been rotated and the change notice not arrived yet: look once more in the database.
        _bySerial.TryRemove(serial, out _);
        info = await FindAsync(serial, ct);
        return info is not null && CryptographicOperations.FixedTimeEquals(info.SecretHash, hash) ? info : null;
    }

    public async ValueTask<SpotInfo?> FindSpotAsync(Guid tenantId, string externalId, CancellationToken ct)
    {
        if (_byExternalId.TryGetValue((tenantId, externalId), out var known)) return known;
        await using var connection = await _db.OpenConnectionAsync(ct);
        SpotInfo? spot = null;
        if ((await TenantPlaces.SpacesAsync(connection, null, tenantId, [], [externalId], ct)).FirstOrDefault(s => s.ExternalId == externalId) is { } space)
            spot = new SpotInfo
            {
                SpaceId = space.Id, TenantId = space.TenantId, LotId = space.LotId,
                SensorId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                    "select id from sensors where space_id = @spaceId", new { spaceId = space.Id }, cancellationToken: ct)),
            };
        if (_byExternalId.Count > MaxEntries) _byExternalId.Clear();
        _byExternalId[(tenantId, externalId)] = spot;
        return spot;
    }

    private sealed class SensorRow
    {
        public Guid Id { get; init; }
        public Guid TenantId { get; init; }
        public string Serial { get; init; } = "";
        public Guid? SpaceId { get; init; }
        public Guid? LotId { get; init; }
        public byte[] SecretHash { get; init; } = [];
    }
}
