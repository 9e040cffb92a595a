using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Identity.Audit;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Lots.Spaces;

public static class SpaceEndpoints
{
    public static void MapSpaceEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var group = app.MapGroup("/api/v1/manage").WithTags("Spaces").RequireAuthorization(Policies.Operator);
        group.MapGet("/lots/{lotId:guid}/spaces", List);
        group.MapPost("/lots/{lotId:guid}/spaces", Create);
        group.MapPost("/lots/{lotId:guid}/spaces/import", SpaceCsvImport.ImportAsync)
            .Accepts<string>("text/csv").AllowImportSizedBody(configuration);
        group.MapGet("/spaces/{id:guid}", Get);
        group.MapPut("/spaces/{id:guid}", Update);
        group.MapDelete("/spaces/{id:guid}", Delete);
    }

    private static Task<Page<SpaceView>> List(Guid lotId, ClaimsPrincipal principal, SpacesTable table, int? page, int? pageSize, string? sort, string? dir,
        string? type, string? level, Guid? zoneId, bool? outOfService, string? q, CancellationToken ct)
    {
        new Validation().MaxLength(q, "q", 40).ThrowIfInvalid();
        return table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q)
            .With("lotId", lotId).With("type", type).With("level", level).With("zoneId", zoneId).With("outOfService", outOfService), ct);
    }

    private static async Task<Space> Get(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await FindAsync(connection, null, id, principal.TenantScope(), ct);
    }

    private static async Task<Created<Space>> Create(Guid lotId, SpaceRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken ct)
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
        await AuditLog.RecordAsync(connection, tx, principal, lot.TenantId, "space.created", "space", id, request, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/manage/spaces/{id}", await FindAsync(connection, null, id, lot.TenantId, ct));
    }

    private static async Task<Space> Update(Guid id, SpaceRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken ct)
    {
        SpaceStore.Validate(request).ThrowIfInvalid();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var space = await FindAsync(connection, tx, id, principal.TenantScope(), ct);
        await SpaceStore.EnsureZoneInLotAsync(connection, tx, request.ZoneId, space.LotId, ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            update spaces set label = @Label, type = @Type, level = @Level, zone_id = @ZoneId, out_of_service = coalesce(@OutOfService, out_of_service),
                latitude = @Latitude, longitude = @Longitude, external_id = @ExternalId, updated_at = now()
            where id = @id
            """, new { id, Label = request.Label!.Trim(), request.Type, request.Level, request.ZoneId, request.OutOfService, request.Latitude, request.Longitude, request.ExternalId },
            tx, cancellationToken: ct));
        await AuditLog.RecordAsync(connection, tx, principal, space.TenantId, "space.updated", "space", id,
            new { before = new { space.Label, space.Type, space.Level, space.ZoneId, space.OutOfService }, after = request }, ct);
        await tx.CommitAsync(ct);
        return await FindAsync(connection, null, id, space.TenantId, ct);
    }

    private static async Task<NoContent> Delete(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var space = await FindAsync(connection, tx, id, principal.TenantScope(), ct);
        await connection.ExecuteAsync(new CommandDefinition("delete from spaces where id = @id", new { id }, tx, cancellationToken: ct));
        await AuditLog.RecordAsync(connection, tx, principal, space.TenantId, "space.deleted", "space", id, new { space.LotId, space.Label }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Space> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid id, Guid? scope, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<Space>(new CommandDefinition(
            $"{Space.Select} where s.id = @id and (@scope::uuid is null or s.tenant_id = @scope)", new { id, scope }, tx, cancellationToken: ct))
        ?? throw new NotFoundException("Space");
}
