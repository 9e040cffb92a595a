using System.Security.Claims;
using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>Events and surges (a concert, a match) that raise prices near a point for a while, in the caller's tenant.</summary>
public sealed class PricingEvents(NpgsqlDataSource db, AuditLog audit, TimeProvider time, PricingInputsCache shown)
{
    /// <param name="current">Only events that have not ended yet.</param>
    public async Task<IReadOnlyList<PricingService.EventRow>> ListAsync(ClaimsPrincipal user, bool current, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PricingService.EventRow>(new CommandDefinition($"""
            {PricingService.EventRow.Select} where (@tenant::uuid is null or tenant_id = @tenant) and (not @current or ends_at > @now) order by starts_at
            """, new { tenant = user.TenantScope(), current, now = time.GetUtcNow() }, cancellationToken: ct))).ToList();
    }

    public static void Validate(PricingEventRequest request) =>
        new Validation()
            .Required(request.Name, "name", 200)
            .Check(request.StartsAt is not null, "startsAt", "is required.")
            .Check(request.EndsAt is not null && (request.StartsAt is null || request.EndsAt > request.StartsAt), "endsAt", "is required and must be after startsAt.")
            .Check(request.Multiplier is >= 1 and <= 2, "multiplier", "must be between 1 and 2.")
            .Coordinates(request.Latitude, request.Longitude)
            .Check(request.RadiusMeters is > 0 and <= 50_000, "radiusMeters", "must be between 1 and 50000.")
            .ThrowIfInvalid();

    public async Task<PricingService.EventRow> CreateAsync(ClaimsPrincipal user, PricingEventRequest request, Guid? tenantId, CancellationToken ct)
    {
        Validate(request);
        var tenant = user.TenantForWrite(tenantId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var created = await connection.QuerySingleAsync<PricingService.EventRow>(new CommandDefinition("""
            insert into pricing_events (id, tenant_id, name, starts_at, ends_at, multiplier, latitude, longitude, radius_meters)
            values (@id, @tenant, @Name, @StartsAt, @EndsAt, @Multiplier, @Latitude, @Longitude, @RadiusMeters)
            returning id, tenant_id, name, starts_at, ends_at, multiplier, latitude, longitude, radius_meters
            """, new { id = Guid.CreateVersion7(), tenant, request.Name, request.StartsAt, request.EndsAt, request.Multiplier, request.Latitude, request.Longitude, request.RadiusMeters },
            tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, user, tenant, "pricing_event.created", "pricing_event", created.Id, request, ct);
        await tx.CommitAsync(ct);
        shown.Changed();
        return created;
    }

    public async Task DeleteAsync(ClaimsPrincipal user, Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenant = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "delete from pricing_events where id = @id and (@scope::uuid is null or tenant_id = @scope) returning tenant_id",
            new { id, scope = user.TenantScope() }, tx, cancellationToken: ct)) ?? throw new NotFoundException("Pricing event");
        await audit.RecordAsync(connection, tx, user, tenant, "pricing_event.deleted", "pricing_event", id, null, ct);
        await tx.CommitAsync(ct);
        shown.Changed();
    }
}
