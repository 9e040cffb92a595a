using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Input;

namespace SmartParking.Server.Modules.Sensors;

/// <summary>
/// Registers many sensors in one transaction with a fixed number of statements, whatever their count: the bulk endpoint,
/// the CSV space import and the FIWARE import all come here. Each item is judged on its own; one that cannot be taken
/// (a bad serial, a space of another tenant, a serial another tenant owns) is reported by index and field and the
/// others go ahead. Another tenant's sensor is never moved or re-keyed.
/// </summary>
public static class SensorRegistry
{
    public const int MaxItems = 5_000;

    public static void ValidateCount(int count, string field = "sensors")
    {
        if (count > MaxItems) throw new ValidationException(field, $"has {count} sensors; at most {MaxItems} a request, so split them.");
    }

    /// <summary>
    /// An item without a kind keeps an existing sensor's kind, and a new sensor takes <paramref name="defaultKind"/> (an
    /// error when that is null). With <paramref name="rotateSecrets"/> existing sensors get new secrets too.
    /// </summary>
    public static async Task<BulkSensorResult> RegisterAsync(AuditLog audit, NpgsqlConnection connection, NpgsqlTransaction tx, ClaimsPrincipal actor, Guid tenantId,
        IReadOnlyList<BulkSensorItem> items, bool rotateSecrets, string? defaultKind, CancellationToken ct)
    {
        ValidateCount(items.Count);
        var errors = new List<BulkSensorError>();
        var accepted = new List<(int Index, BulkSensorItem Item)>();
        var serials = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is null) { errors.Add(new(i, "", "must be an object {serial, kind, spaceId | spaceExternalId | lotId}.")); continue; }
            if (SerialProblem(item.Serial) is { } serialProblem) { errors.Add(new(i, "serial", serialProblem)); continue; }
            if (item.Kind is not null && !SensorKinds.All.Contains(item.Kind)) { errors.Add(new(i, "kind", $"must be one of: {string.Join(", ", SensorKinds.All)}.")); continue; }
            if (item.SpaceId is not null && item.SpaceExternalId is not null) { errors.Add(new(i, "spaceExternalId", "give spaceId or spaceExternalId, not both.")); continue; }
            if (StoredText.LabelProblem(item.SpaceExternalId, 300) is { } externalProblem) { errors.Add(new(i, "spaceExternalId", externalProblem)); continue; }
            if (!serials.Add(item.Serial!)) { errors.Add(new(i, "serial", $"'{item.Serial}' appears more than once in the request.")); continue; }
            accepted.Add((i, item));
        }

        // Placement: spaces and lots must be the tenant's.
        var spaceIds = accepted.Select(a => a.Item.SpaceId).OfType<Guid>().Distinct().ToArray();
        var externalIds = accepted.Select(a => a.Item.SpaceExternalId).OfType<string>().Distinct().ToArray();
        var spaces = await TenantPlaces.SpacesAsync(connection, tx, tenantId, spaceIds, externalIds, ct);
        var spaceById = spaces.ToDictionary(s => s.Id);
        var spaceByExternalId = spaces.Where(s => s.ExternalId is not null).GroupBy(s => s.ExternalId!).ToDictionary(g => g.Key, g => g.First());
        var lotIds = accepted.Select(a => a.Item.LotId).OfType<Guid>().Distinct().ToArray();
        var lots = await TenantPlaces.LotsAsync(connection, tx, tenantId, lotIds, ct);

        // Locked, so a concurrent registration of the same serials waits for this one instead of racing it.
        var existing = (await connection.QueryAsync<(Guid Id, Guid TenantId, string Serial, Guid? SpaceId, Guid? LotId)>(new CommandDefinition(
            "select id, tenant_id, serial, space_id, lot_id from sensors where serial = any(@serials) order by serial for update",
            new { serials = accepted.Select(a => a.Item.Serial!).ToArray() }, tx, cancellationToken: ct))).ToDictionary(s => s.Serial, StringComparer.Ordinal);
        var targetSpaces = accepted.Select(a => a.Item.SpaceId ?? (a.Item.SpaceExternalId is { } x && spaceByExternalId.TryGetValue(x, out var s) ? s.Id : null))
            .OfType<Guid>().Distinct().ToArray();
        var occupants = (await connection.QueryAsync<(Guid SpaceId, string Serial)>(new CommandDefinition(
            "select space_id, serial from sensors where space_id = any(@targetSpaces)", new { targetSpaces }, tx, cancellationToken: ct)))
            .ToDictionary(o => o.SpaceId, o => o.Serial);

        var inserts = new List<(int Index, Guid Id, BulkSensorItem Item, Guid? SpaceId, Guid? LotId, string Secret)>();
        var updates = new List<(int Index, Guid Id, BulkSensorItem Item, Guid? SpaceId, Guid? LotId, string? Secret)>();
        var claimedSpaces = new HashSet<Guid>();
        foreach (var (i, item) in accepted)
        {
            Guid? spaceId = null, lotId = item.LotId;
            if (item.SpaceId is { } sid)
            {
                if (!spaceById.TryGetValue(sid, out var space)) { errors.Add(new(i, "spaceId", "does not name a space of this tenant.")); continue; }
                spaceId = space.Id;
                if (lotId is { } l && l != space.LotId) { errors.Add(new(i, "lotId", "does not match the space's lot.")); continue; }
                lotId = space.LotId;
            }
            else if (item.SpaceExternalId is { } externalId)
            {
                if (!spaceByExternalId.TryGetValue(externalId, out var space)) { errors.Add(new(i, "spaceExternalId", "does not name a space of this tenant.")); continue; }
                spaceId = space.Id;
                if (lotId is { } l && l != space.LotId) { errors.Add(new(i, "lotId", "does not match the space's lot.")); continue; }
                lotId = space.LotId;
            }
            else if (lotId is { } l && !lots.Contains(l)) { errors.Add(new(i, "lotId", "does not name a lot of this tenant.")); continue; }

            existing.TryGetValue(item.Serial!, out var known);
            if (known.Serial is not null && known.TenantId != tenantId) { errors.Add(new(i, "serial", "is registered to another tenant.")); continue; }
            if (spaceId is { } target)
            {
                if (occupants.TryGetValue(target, out var occupant) && occupant != item.Serial) { errors.Add(new(i, SpaceField(item), $"already has sensor '{occupant}'; move or delete it first.")); continue; }
                if (!claimedSpaces.Add(target)) { errors.Add(new(i, SpaceField(item), "is given to another sensor of this request.")); continue; }
            }
            if (known.Serial is null && (item.Kind ?? defaultKind) is null) { errors.Add(new(i, "kind", "is required for a new sensor.")); continue; }
            if (known.Serial is null)
                inserts.Add((i, Guid.CreateVersion7(), item, spaceId, lotId, DeviceCredentials.NewSecret()));
            else
            {
                // Without a placement the sensor stays where it is; a lot alone takes it off its space, as the single update does.
                var placed = spaceId is not null || lotId is not null;
                updates.Add((i, known.Id, item, placed ? spaceId : known.SpaceId, placed ? lotId : known.LotId, rotateSecrets ? DeviceCredentials.NewSecret() : null));
            }
        }

        var secrets = new List<(int Index, SensorSecret Secret)>();
        var created = 0;
        if (inserts.Count > 0)
        {
            // A serial or space taken meanwhile by a request that did not wait on our locks (a new serial has no row to lock) is
            // skipped here and reported, rather than failing the whole batch.
            var written = (await connection.QueryAsync<Guid>(new CommandDefinition("""
                insert into sensors (id, tenant_id, serial, kind, space_id, lot_id, secret_hash)
                select id, @tenantId, serial, kind, space_id, lot_id, decode(hash, 'hex')
                from unnest(@ids, @serials, @kinds, @spaceIds, @lotIds, @hashes) as t(id, serial, kind, space_id, lot_id, hash)
                on conflict do nothing
                returning id
                """, new
            {
                tenantId,
                ids = inserts.Select(x => x.Id).ToArray(),
                serials = inserts.Select(x => x.Item.Serial!).ToArray(),
                kinds = inserts.Select(x => x.Item.Kind ?? defaultKind!).ToArray(),
                spaceIds = inserts.Select(x => x.SpaceId).ToArray(),
                lotIds = inserts.Select(x => x.LotId).ToArray(),
                hashes = inserts.Select(x => Convert.ToHexString(DeviceCredentials.Hash(x.Secret))).ToArray(),
            }, tx, cancellationToken: ct))).ToHashSet();
            foreach (var x in inserts)
            {
                if (written.Contains(x.Id))
                {
                    secrets.Add((x.Index, new SensorSecret(x.Item.Serial!, x.Id, x.Secret)));
                    created++;
                }
                else errors.Add(new(x.Index, "serial", "was registered, or its space taken, by another request meanwhile."));
            }
        }
        if (updates.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                update sensors s set kind = coalesce(u.kind, s.kind), space_id = u.space_id, lot_id = u.lot_id,
                    secret_hash = coalesce(decode(u.hash, 'hex'), s.secret_hash), updated_at = now()
                from unnest(@ids, @kinds, @spaceIds, @lotIds, @hashes) as u(id, kind, space_id, lot_id, hash)
                where s.id = u.id
                """, new
            {
                ids = updates.Select(x => x.Id).ToArray(),
                kinds = updates.Select(x => x.Item.Kind).ToArray(),
                spaceIds = updates.Select(x => x.SpaceId).ToArray(),
                lotIds = updates.Select(x => x.LotId).ToArray(),
                hashes = updates.Select(x => x.Secret is null ? null : Convert.ToHexString(DeviceCredentials.Hash(x.Secret))).ToArray(),
            }, tx, cancellationToken: ct));
            secrets.AddRange(updates.Where(x => x.Secret is not null).Select(x => (x.Index, new SensorSecret(x.Item.Serial!, x.Id, x.Secret!))));
        }

        var result = new BulkSensorResult(created, updates.Count, secrets.OrderBy(s => s.Index).Select(s => s.Secret).ToList(), errors.OrderBy(e => e.Index).ToList());
        await audit.RecordAsync(connection, tx, actor, tenantId, "sensors.registered", "tenant", tenantId,
            new { items = items.Count, result.Created, result.Updated, rotated = rotateSecrets ? updates.Count : 0, errors = errors.Count }, ct);
        return result;
    }

    /// <summary>Why a serial cannot be used, or null: it names the device in MQTT topics and user names.</summary>
    public static string? SerialProblem(string? serial) =>
        string.IsNullOrWhiteSpace(serial) ? "is required."
        : serial.Length > 200 ? "must be at most 200 characters."
        : serial.Any(c => char.IsWhiteSpace(c) || c is '/' or '+' or '#') ? "must not contain spaces, '/', '+' or '#' (it is used in MQTT topics)."
        : StoredText.LabelProblem(serial, 200);

    private static string SpaceField(BulkSensorItem item) => item.SpaceId is not null ? "spaceId" : "spaceExternalId";
}
