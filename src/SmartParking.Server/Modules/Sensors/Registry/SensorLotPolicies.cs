using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Sensors.Registry;

/// <summary>A lot's expected sensor interval; null (no policy) leaves each sensor to its kind's or the default.</summary>
public sealed record SensorLotPolicy(int? HeartbeatSeconds);

/// <summary>
/// <c>/api/v1/manage/lots/{lotId}/sensor-policy</c>: how often the lot's sensors are expected to report, for a whole
/// deployment of change-only sensors (a sensor's own setting still wins). Operators of the lot's tenant, or admins.
/// </summary>
public static class SensorLotPolicies
{
    public static void MapSensorLotPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/lots/{lotId:guid}/sensor-policy").WithTags("Sensors").RequireAuthorization(Policies.Operator);
        group.MapGet("", Get);
        group.MapPut("", Put);
        group.MapDelete("", Delete);
    }

    private static async Task<SensorLotPolicy> Get(Guid lotId, ClaimsPrincipal principal, LotCatalog lots, NpgsqlDataSource db, CancellationToken ct)
    {
        var lot = await lots.FindForOperatorAsync(lotId, principal, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        return new SensorLotPolicy(await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "select heartbeat_seconds from sensor_lot_policies where lot_id = @lotId", new { lotId = lot.Id }, cancellationToken: ct)));
    }

    private static async Task<SensorLotPolicy> Put(Guid lotId, SensorLotPolicy policy, ClaimsPrincipal principal, LotCatalog lots, NpgsqlDataSource db, EventOutbox outbox, AuditLog audit, CancellationToken ct)
    {
        new Validation()
            .Check(policy.HeartbeatSeconds is >= SensorReporting.MinHeartbeatSeconds and <= SensorReporting.MaxHeartbeatSeconds, "heartbeatSeconds",
                $"is required and must be between {SensorReporting.MinHeartbeatSeconds} and {SensorReporting.MaxHeartbeatSeconds} seconds.")
            .ThrowIfInvalid();
        var lot = await lots.FindForOperatorAsync(lotId, principal, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into sensor_lot_policies (lot_id, tenant_id, heartbeat_seconds) values (@lotId, @tenantId, @HeartbeatSeconds)
            on conflict (lot_id) do update set heartbeat_seconds = excluded.heartbeat_seconds, updated_at = now()
            """, new { lotId = lot.Id, tenantId = lot.TenantId, policy.HeartbeatSeconds }, tx, cancellationToken: ct));
        await ChangedAsync(connection, tx, outbox, audit, principal, lot, "sensor_policy.updated", policy, ct);
        await tx.CommitAsync(ct);
        return policy;
    }

    private static async Task<NoContent> Delete(Guid lotId, ClaimsPrincipal principal, LotCatalog lots, NpgsqlDataSource db, EventOutbox outbox, AuditLog audit, CancellationToken ct)
    {
        var lot = await lots.FindForOperatorAsync(lotId, principal, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("delete from sensor_lot_policies where lot_id = @lotId", new { lotId = lot.Id }, tx, cancellationToken: ct));
        await ChangedAsync(connection, tx, outbox, audit, principal, lot, "sensor_policy.deleted", null, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    // Every node reloads the lot, so availability's confidence follows the new interval at once.
    private static async Task ChangedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, EventOutbox outbox, AuditLog audit, ClaimsPrincipal principal, LotFacts lot, string action, object? changes, CancellationToken ct)
    {
        await audit.RecordAsync(connection, tx, principal, lot.TenantId, action, "lot", lot.Id, changes, ct);
        await outbox.AppendAsync(connection, tx, new SensorPolicyChanged(lot.Id, lot.TenantId), ct);
    }
}
