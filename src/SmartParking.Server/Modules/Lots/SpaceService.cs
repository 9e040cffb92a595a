using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Modules.Lots.Spaces;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Lots;

/// <summary>Space writes in the caller's tenant (single, out of service, CSV import), shared by the REST endpoints and the dashboard.</summary>
public sealed class SpaceService(NpgsqlDataSource db, AuditLog audit)
{
    /// <summary>The kind a new sensor named in a CSV row without sensor_kind gets: the usual one-per-space occupancy sensor.</summary>
    public const string DefaultSensorKind = "magnetometer";

    public async Task<Space> GetAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await SpaceEndpoints.FindAsync(connection, null, id, principal.TenantScope(), ct);
    }

    public async Task<Space> CreateAsync(ClaimsPrincipal principal, Guid lotId, SpaceRequest request, CancellationToken ct)
    {
        SpaceStore.Validate(request).ThrowIfInvalid();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var lot = await LotEndpoints.FindAsync(connection, lotId, principal.TenantScope(), ct, tx);
        await SpaceStore.EnsureZoneInLotAsync(connection, tx, request.ZoneId, lotId, ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from spaces where lot_id = @lotId and label = @label)", new { lotId, label = request.Label!.Trim() }, tx, cancellationToken: ct));
        if (exists) throw new ConflictException($"The lot already has a space labelled '{request.Label!.Trim()}'.");
        var (id, _) = await SpaceStore.UpsertAsync(connection, tx, lot.TenantId, lotId, request, ct);
        await audit.RecordAsync(connection, tx, principal, lot.TenantId, "space.created", "space", id, request, ct);
        await tx.CommitAsync(ct);
        return await SpaceEndpoints.FindAsync(connection, null, id, lot.TenantId, ct);
    }

    public async Task<Space> UpdateAsync(ClaimsPrincipal principal, Guid id, SpaceRequest request, CancellationToken ct)
    {
        SpaceStore.Validate(request).ThrowIfInvalid();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var space = await SpaceEndpoints.FindAsync(connection, tx, id, principal.TenantScope(), ct);
        await SpaceStore.EnsureZoneInLotAsync(connection, tx, request.ZoneId, space.LotId, ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            update spaces set label = @Label, type = @Type, level = @Level, zone_id = @ZoneId, out_of_service = coalesce(@OutOfService, out_of_service),
                latitude = @Latitude, longitude = @Longitude, external_id = @ExternalId, updated_at = now()
            where id = @id
            """, new { id, Label = request.Label!.Trim(), request.Type, request.Level, request.ZoneId, request.OutOfService, request.Latitude, request.Longitude, request.ExternalId },
            tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, space.TenantId, "space.updated", "space", id,
            new { before = new { space.Label, space.Type, space.Level, space.ZoneId, space.OutOfService }, after = request }, ct);
        await tx.CommitAsync(ct);
        return await SpaceEndpoints.FindAsync(connection, null, id, space.TenantId, ct);
    }

    /// <summary>
    /// Takes a space out of service (or back): only the flag changes, so an operator marking a broken bay cannot disturb
    /// its label, zone or position. Setting it to what it already is changes nothing and records nothing.
    /// </summary>
    public async Task<Space> SetOutOfServiceAsync(ClaimsPrincipal principal, Guid id, bool outOfService, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var space = await SpaceEndpoints.FindAsync(connection, tx, id, principal.TenantScope(), ct);
        if (space.OutOfService != outOfService)
        {
            await connection.ExecuteAsync(new CommandDefinition("update spaces set out_of_service = @outOfService, updated_at = now() where id = @id",
                new { id, outOfService }, tx, cancellationToken: ct));
            await audit.RecordAsync(connection, tx, principal, space.TenantId, outOfService ? "space.out_of_service" : "space.back_in_service", "space", id,
                new { space.LotId, space.Label }, ct);
        }
        await tx.CommitAsync(ct);
        return await SpaceEndpoints.FindAsync(connection, null, id, space.TenantId, ct);
    }

    public async Task DeleteAsync(ClaimsPrincipal principal, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var space = await SpaceEndpoints.FindAsync(connection, tx, id, principal.TenantScope(), ct);
        await connection.ExecuteAsync(new CommandDefinition("delete from spaces where id = @id", new { id }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, space.TenantId, "space.deleted", "space", id, new { space.LotId, space.Label }, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Upserts the spaces of a CSV file into a lot (see <see cref="SpaceCsvImport"/>), all or nothing, then registers or links
    /// the sensors the rows name through the sensor registry, each row's sensor on its own.
    /// </summary>
    public async Task<ImportResult> ImportCsvAsync(ClaimsPrincipal principal, Guid lotId, Stream csv, bool rotateSecrets, CancellationToken ct)
    {
        var rows = await SpaceCsvImport.ReadAsync(csv, ct);
        SensorRegistry.ValidateCount(rows.Count(r => r.SensorSerial is not null), "sensor_serial");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var lot = await LotEndpoints.FindAsync(connection, lotId, principal.TenantScope(), ct, tx);
        var zones = (await connection.QueryAsync<(string Code, Guid Id)>(new CommandDefinition(
            "select code, id from zones where lot_id = @lotId", new { lotId }, tx, cancellationToken: ct))).ToDictionary(z => z.Code, z => z.Id, StringComparer.Ordinal);
        int created = 0, updated = 0;
        var rowErrors = new List<ImportRowError>();
        var sensors = new List<(int Line, BulkSensorItem Item)>();
        foreach (var row in rows)
        {
            Guid? zoneId = null;
            if (row.Zone is { Length: > 0 } code)
            {
                if (!zones.TryGetValue(code, out var id))
                {
                    id = Guid.CreateVersion7();
                    await connection.ExecuteAsync(new CommandDefinition("insert into zones (id, tenant_id, lot_id, code, name) values (@id, @tenantId, @lotId, @code, @code)",
                        new { id, tenantId = lot.TenantId, lotId, code }, tx, cancellationToken: ct));
                    zones[code] = id;
                }
                zoneId = id;
            }
            var (spaceId, isNew) = await SpaceStore.UpsertAsync(connection, tx, lot.TenantId, lotId, row.Request with { ZoneId = zoneId }, ct);
            if (isNew) created++; else updated++;
            if (row.SensorSerial is not null) sensors.Add((row.Line, new BulkSensorItem(row.SensorSerial, row.SensorKind, spaceId)));
            else if (row.SensorKind is not null) rowErrors.Add(new ImportRowError(row.Line, "sensor_kind", "is given without a sensor_serial."));
        }
        var registered = sensors.Count == 0 ? null
            : await SensorRegistry.RegisterAsync(audit, connection, tx, principal, lot.TenantId, sensors.Select(s => s.Item).ToList(), rotateSecrets, DefaultSensorKind, ct);
        // The registry names its own fields; the file's columns are what the operator can find and fix.
        rowErrors.AddRange((registered?.Errors ?? []).Select(e => new ImportRowError(sensors[e.Index].Line, e.Field == "kind" ? "sensor_kind" : "sensor_serial", e.Message)));
        await audit.RecordAsync(connection, tx, principal, lot.TenantId, "spaces.imported", "lot", lotId,
            new { format = "csv", created, updated, sensorsCreated = registered?.Created ?? 0, sensorsUpdated = registered?.Updated ?? 0 }, ct);
        await tx.CommitAsync(ct);
        return new ImportResult(created, updated, rowErrors.OrderBy(e => e.Row).ToList(), registered?.Created ?? 0, registered?.Updated ?? 0, registered?.Secrets ?? []);
    }
}
