using System.Collections.Concurrent;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Sensors.Registry;

public sealed record GatewayRequest(Guid? TenantId, [property: Required] string? Name);
public sealed class Gateway
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public string Name { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}
public sealed record GatewayWithKey(Gateway Gateway, string Key);

/// <summary>
/// Gateway keys let one integration (an LoRaWAN network server, a FIWARE IoT agent) post readings for any sensor of its
/// tenant. Sent as the <c>X-Gateway-Key</c> header; stored as SHA-256 like device secrets.
/// </summary>
public sealed class GatewayKeys : IEventHandler<GatewayKeyRevoked>
{
    public const string Header = "X-Gateway-Key";
    private readonly NpgsqlDataSource _db;
    private readonly ConcurrentDictionary<string, (Guid GatewayId, Guid TenantId, DateTimeOffset CheckedAt)?> _cache = new(StringComparer.Ordinal);

    public GatewayKeys(NpgsqlDataSource db)
    {
        _db = db;
    }

    /// <summary>A revocation on any node: every node forgets the key at once.</summary>
    public Task HandleAsync(GatewayKeyRevoked domainEvent, EventEnvelope envelope, CancellationToken ct)
    {
        Forget(domainEvent.GatewayId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The tenant the key belongs to, or null. A revocation takes effect at once on the node that made it and as soon as the
    /// change notice arrives on the others; positive results are re-checked at least every minute in any case.
    /// </summary>
    public async ValueTask<Guid?> VerifyAsync(string? key, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 200) return null;
        if (_cache.TryGetValue(key, out var cached) && cached is { } hit && DateTimeOffset.UtcNow - hit.CheckedAt < TimeSpan.FromMinutes(1)) return hit.TenantId;
        await using var connection = await _db.OpenConnectionAsync(ct);
        var found = (await connection.QueryAsync<(Guid Id, Guid TenantId)>(new CommandDefinition(
            "select id, tenant_id from gateways where key_hash = @hash and revoked_at is null", new { hash = DeviceCredentials.Hash(key) }, cancellationToken: ct))).ToList();
        if (_cache.Count > 10_000) _cache.Clear();
        if (found.Count == 0)
        {
            _cache.TryRemove(key, out _);
            return null;
        }
        _cache[key] = (found[0].Id, found[0].TenantId, DateTimeOffset.UtcNow);
        return found[0].TenantId;
    }

    /// <summary>Drops a revoked gateway's key from this node's cache.</summary>
    public void Forget(Guid gatewayId)
    {
        foreach (var (key, entry) in _cache)
            if (entry is { } e && e.GatewayId == gatewayId) _cache.TryRemove(key, out _);
    }

    public static void MapGatewayEndpoints(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/gateways").WithTags("Gateways").RequireAuthorization(Policies.Operator);
        group.MapGet("/", List);
        group.MapPost("/", Create);
        group.MapDelete("/{id:guid}", Revoke);
    }

    private static async Task<IReadOnlyList<Gateway>> List(ClaimsPrincipal principal, NpgsqlDataSource db, Guid? tenantId, CancellationToken ct)
    {
        var scope = principal.TenantScope(tenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Gateway>(new CommandDefinition(
            "select id, tenant_id, name, created_at, revoked_at from gateways where @scope::uuid is null or tenant_id = @scope order by name", new { scope }, cancellationToken: ct))).ToList();
    }

    private static async Task<Created<GatewayWithKey>> Create(GatewayRequest request, ClaimsPrincipal principal, NpgsqlDataSource db, AuditLog audit, CancellationToken ct)
    {
        new Validation().Required(request.Name, "name", 200).ThrowIfInvalid();
        var tenantId = principal.TenantForWrite(request.TenantId);
        var key = "gw_" + DeviceCredentials.NewSecret();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var gateway = await connection.QuerySingleAsync<Gateway>(new CommandDefinition(
            "insert into gateways (id, tenant_id, name, key_hash) values (@id, @tenantId, @name, @hash) returning id, tenant_id, name, created_at, revoked_at",
            new { id = Guid.CreateVersion7(), tenantId, name = request.Name!.Trim(), hash = DeviceCredentials.Hash(key) }, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, principal, tenantId, "gateway.created", "gateway", gateway.Id, new { gateway.Name }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/manage/gateways/{gateway.Id}", new GatewayWithKey(gateway, key));
    }

    private static async Task<NoContent> Revoke(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db, GatewayKeys keys, EventOutbox outbox, AuditLog audit,
        CancellationToken ct)
    {
        var scope = principal.TenantScope();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenantId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "update gateways set revoked_at = coalesce(revoked_at, now()) where id = @id and (@scope::uuid is null or tenant_id = @scope) returning tenant_id",
            new { id, scope }, tx, cancellationToken: ct)) ?? throw new NotFoundException("Gateway");
        await audit.RecordAsync(connection, tx, principal, tenantId, "gateway.revoked", "gateway", id, null, ct);
        await outbox.AppendAsync(connection, tx, new GatewayKeyRevoked(id, tenantId), ct);
        await tx.CommitAsync(ct);
        keys.Forget(id);
        return TypedResults.NoContent();
    }
}
