using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots.Lots;
using SmartParking.Server.Platform.Errors;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Lots.Zones;

public sealed record ZoneRequest([property: Required] string? Code, [property: Required] string? Name);
public sealed class Zone
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public Guid LotId { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Levels or areas inside a lot, and on-street zones; spaces may belong to one.</summary>
public static class ZoneEndpoints
{
    public static void MapZoneEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage").WithTags("Zones").RequireAuthorization(Policies.Operator);
        group.MapGet("/lots/{lotId:guid}/zones", List);
        group.MapPost("/lots/{lotId:guid}/zones", Create);
        group.MapPut("/zones/{id:guid}", Update);
        group.MapDelete("/zones/{id:guid}", Delete);
    }

    private static async Task<IReadOnlyList<Zone>> List(Guid lotId, ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var lot = await LotEndpoints.FindAsync(connection, lotId, principal.TenantScope(), ct);
        return (await connection.QueryAsync<Zone>(new CommandDefinition("select * from zones where lot_id = @lotId order by code", new { lotId = lot.Id }, cancellationToken: ct))).ToList();
    }

    private static async Task<Created<Zone>> Create(Guid lotId, ZoneRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, AuditLog audit, CancellationToken ct)
    {
        Validate(request);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var lot = await LotEndpoints.FindAsync(connection, lotId, principal.TenantScope(), ct, tx);
        var zone = await connection.QuerySingleAsync<Zone>(new CommandDefinition(
            "insert into zones (id, tenant_id, lot_id, code, name) values (@id, @tenantId, @lotId, @Code, @Name) returning *",
            new { id = Guid.CreateVersion7(), tenantId = lot.TenantId, lotId, request.Code, request.Name }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, lot.TenantId, "zone.created", "zone", zone.Id, request, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/manage/zones/{zone.Id}", zone);
    }

    private static async Task<Zone> Update(Guid id, ZoneRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, AuditLog audit, CancellationToken ct)
    {
        Validate(request);
        var scope = principal.TenantScope();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var zone = await connection.QuerySingleOrDefaultAsync<Zone>(new CommandDefinition(
            "update zones set code = @Code, name = @Name where id = @id and (@scope::uuid is null or tenant_id = @scope) returning *",
            new { id, scope, request.Code, request.Name }, tx, cancellationToken: ct)) ?? throw new NotFoundException("Zone");
        await audit.RecordAsync(connection, tx, principal, zone.TenantId, "zone.updated", "zone", id, request, ct);
        await tx.CommitAsync(ct);
        return zone;
    }

    private static async Task<NoContent> Delete(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db, AuditLog audit, CancellationToken ct)
    {
        var scope = principal.TenantScope();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenantId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "delete from zones where id = @id and (@scope::uuid is null or tenant_id = @scope) returning tenant_id", new { id, scope }, tx, cancellationToken: ct))
            ?? throw new NotFoundException("Zone");
        await audit.RecordAsync(connection, tx, principal, tenantId, "zone.deleted", "zone", id, null, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static void Validate(ZoneRequest r) =>
        new Validation().Required(r.Code, "code", 40).Required(r.Name, "name", 200).ThrowIfInvalid();
}
