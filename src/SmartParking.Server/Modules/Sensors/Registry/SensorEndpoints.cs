using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Sensors.Ingest;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Sensors.Registry;

public static class SensorEndpoints
{
    public static void MapSensorEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var group = app.MapGroup("/api/v1/manage/sensors").WithTags("Sensors").RequireAuthorization(Policies.Operator);
        group.MapGet("/", List);
        group.MapGet("/health", HealthByLot);
        group.MapGet("/{id:guid}", Get);
        group.MapPost("/", Create);
        group.MapPost("/bulk", Bulk).AllowImportSizedBody(configuration);
        group.MapPut("/{id:guid}", Update);
        group.MapDelete("/{id:guid}", Delete);
        group.MapPost("/{id:guid}/credentials", RotateSecret);
        group.MapGet("/{id:guid}/readings", Readings);
    }

    private static Task<IReadOnlyList<SensorReading>> Readings(Guid id, DateTimeOffset? from, DateTimeOffset? to, int? limit,
        ClaimsPrincipal principal, SensorService sensors, CancellationToken ct) =>
        sensors.ReadingsAsync(principal, id, from, to, limit, ct);

    private static Task<Page<Sensor>> List(ClaimsPrincipal principal, SensorsTable table, int? page, int? pageSize, string? sort, string? dir,
        Guid? lotId, string? kind, bool? assigned, string? q, string? health, bool? offline, bool? lowBattery, Guid? tenantId, CancellationToken ct) =>
        table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q).With("lotId", lotId).With("kind", kind).With("assigned", assigned)
            .With("health", health).With("offline", offline).With("lowBattery", lowBattery).With("tenantId", tenantId), ct);

    /// <summary>Sensor health counted per lot, for the operator's overview.</summary>
    private static async Task<IReadOnlyList<SensorHealthSummary>> HealthByLot(ClaimsPrincipal principal, NpgsqlDataSource db, IOptions<IngestOptions> ingest,
        SensorReporting reporting, TimeProvider time, Guid? lotId, Guid? tenantId, CancellationToken ct)
    {
        var scope = principal.TenantScope(tenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<SensorHealthSummary>(new CommandDefinition($"""
            select lot_id as lotid,
                   count(*) filter (where health = 'online')::int as online,
                   count(*) filter (where health = 'offline')::int as offline,
                   count(*) filter (where health = 'never_seen')::int as neverseen,
                   count(*) filter (where battery_percent <= @lowBatteryPercent)::int as lowbattery
            from (select se.lot_id, se.battery_percent, {SensorReporting.SensorHealth} as health
                  from sensors se {SensorReporting.SensorJoins}
                  where (@scope::uuid is null or se.tenant_id = @scope) and (@lotId::uuid is null or se.lot_id = @lotId)) s
            group by lot_id order by lot_id
            """, reporting.Parameters(new { scope, lotId, now = time.GetUtcNow(), lowBatteryPercent = ingest.Value.LowBatteryPercent }),
            cancellationToken: ct))).ToList();
    }

    private static Task<Sensor> Get(Guid id, ClaimsPrincipal principal, SensorService sensors, CancellationToken ct) => sensors.GetAsync(principal, id, ct);

    private static async Task<Created<SensorWithSecret>> Create(SensorRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, SensorService sensors, AuditLog audit, CancellationToken ct)
    {
        Validate(request);
        var tenantId = principal.TenantForWrite(request.TenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var lotId = await ResolvePlacementAsync(connection, tx, tenantId, request, ct);
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from sensors where serial = @Serial)", new { request.Serial }, tx, cancellationToken: ct)))
            throw new ConflictException($"A sensor with serial '{request.Serial}' is already registered.");
        var secret = DeviceCredentials.NewSecret();
        var id = Guid.CreateVersion7();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into sensors (id, tenant_id, serial, kind, space_id, lot_id, secret_hash, heartbeat_seconds)
            values (@id, @tenantId, @Serial, @Kind, @SpaceId, @lotId, @hash, @HeartbeatSeconds)
            """, new { id, tenantId, request.Serial, request.Kind, request.SpaceId, lotId, hash = DeviceCredentials.Hash(secret), request.HeartbeatSeconds }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, tenantId, "sensor.created", "sensor", id, request with { TenantId = tenantId }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/manage/sensors/{id}", new SensorWithSecret(await sensors.FindAsync(connection, null, id, tenantId, ct), secret));
    }

    /// <summary>Up to <see cref="SensorRegistry.MaxItems"/> sensors in one request and one transaction; see <see cref="SensorRegistry"/>.</summary>
    private static async Task<BulkSensorResult> Bulk(BulkSensorRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, AuditLog audit, CancellationToken ct)
    {
        if (request.Sensors is null) throw new ValidationException("sensors", "is required: a list of {serial, kind, spaceId | spaceExternalId | lotId}.");
        SensorRegistry.ValidateCount(request.Sensors.Count);
        var tenantId = principal.TenantForWrite(request.TenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var result = await SensorRegistry.RegisterAsync(audit, connection, tx, principal, tenantId, request.Sensors, request.RotateSecrets ?? false, defaultKind: null, ct);
        await tx.CommitAsync(ct);
        return result;
    }

    private static async Task<Sensor> Update(Guid id, SensorRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, SensorService sensors, AuditLog audit, CancellationToken ct)
    {
        Validate(request);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sensor = await sensors.FindAsync(connection, tx, id, principal.TenantScope(), ct);
        var lotId = await ResolvePlacementAsync(connection, tx, sensor.TenantId, request, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update sensors set serial = @Serial, kind = @Kind, space_id = @SpaceId, lot_id = @lotId, heartbeat_seconds = @HeartbeatSeconds, updated_at = now() where id = @id",
            new { id, request.Serial, request.Kind, request.SpaceId, lotId, request.HeartbeatSeconds }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, sensor.TenantId, "sensor.updated", "sensor", id,
            new { before = new { sensor.Serial, sensor.Kind, sensor.SpaceId, sensor.LotId, sensor.HeartbeatSeconds }, after = request with { TenantId = sensor.TenantId } }, ct);
        await tx.CommitAsync(ct);
        return await sensors.FindAsync(connection, null, id, sensor.TenantId, ct);
    }

    private static async Task<NoContent> Delete(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db, SensorService sensors, AuditLog audit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sensor = await sensors.FindAsync(connection, tx, id, principal.TenantScope(), ct);
        await connection.ExecuteAsync(new CommandDefinition("delete from sensors where id = @id", new { id }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, sensor.TenantId, "sensor.deleted", "sensor", id, new { sensor.Serial }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<SensorWithSecret> RotateSecret(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db, SensorService sensors, AuditLog audit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sensor = await sensors.FindAsync(connection, tx, id, principal.TenantScope(), ct);
        var secret = DeviceCredentials.NewSecret();
        await connection.ExecuteAsync(new CommandDefinition("update sensors set secret_hash = @hash, updated_at = now() where id = @id",
            new { id, hash = DeviceCredentials.Hash(secret) }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, sensor.TenantId, "sensor.secret_rotated", "sensor", id, null, ct);
        await tx.CommitAsync(ct);
        return new SensorWithSecret(sensor, secret);
    }

    private static void Validate(SensorRequest r)
    {
        var v = new Validation().OneOf(r.Kind, "kind", SensorKinds.All)
            .Check(r.HeartbeatSeconds is null or (>= SensorReporting.MinHeartbeatSeconds and <= SensorReporting.MaxHeartbeatSeconds), "heartbeatSeconds",
                $"must be between {SensorReporting.MinHeartbeatSeconds} and {SensorReporting.MaxHeartbeatSeconds} seconds, or null for the lot's or kind's interval.");
        if (SensorRegistry.SerialProblem(r.Serial) is { } problem) v.Add("serial", problem);
        v.ThrowIfInvalid();
    }

    /// <summary>The space and lot must be the sensor's tenant's; the lot follows from the space when one is given.</summary>
    private static async Task<Guid?> ResolvePlacementAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenantId, SensorRequest r, CancellationToken ct)
    {
        if (r.SpaceId is { } spaceId)
        {
            var lotOfSpace = await TenantPlaces.SpaceAsync(connection, tx, spaceId, ct) is { } space && space.TenantId == tenantId ? space.LotId
                : throw new ValidationException("spaceId", "does not name a space of this tenant.");
            if (r.LotId is { } lot && lot != lotOfSpace) throw new ValidationException("lotId", "does not match the space's lot.");
            return lotOfSpace;
        }
        if (r.LotId is { } lotId && !(await TenantPlaces.LotsAsync(connection, tx, tenantId, [lotId], ct)).Contains(lotId))
            throw new ValidationException("lotId", "does not name a lot of this tenant.");
        return r.LotId;
    }
}
