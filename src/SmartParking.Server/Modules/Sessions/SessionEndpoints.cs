using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Privacy;
using SmartParking.Server.Modules.Reservations;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Protection;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Sessions;

public static class SessionEndpoints
{
    public static void MapSessionsEndpoints(this IEndpointRouteBuilder app)
    {
        var driver = app.MapGroup("/api/v1/sessions").WithTags("Sessions").RequireAuthorization(Policies.Driver);
        driver.MapPost("", Start).WithIdempotencyKey();
        driver.MapGet("", ListOwn);
        driver.MapGet("/{id:guid}", Get);
        driver.MapPost("/{id:guid}/extension", Extend).WithIdempotencyKey();
        driver.MapPost("/{id:guid}/stop", Stop).WithIdempotencyKey();

        var manage = app.MapGroup("/api/v1/manage").WithTags("Sessions").RequireAuthorization(Policies.Operator);
        manage.MapGet("/sessions", ListForTenant);
        manage.MapGet("/enforcement/plates/{plate}", CheckPlate);
    }

    private static async Task<Created<SessionResponse>> Start(StartSessionRequest request, ClaimsPrincipal user, SessionService sessions, CancellationToken ct)
    {
        var row = await sessions.StartAsync(user.UserId(), request, ct);
        return TypedResults.Created($"/api/v1/sessions/{row.Id}", row.ToResponse());
    }

    private static async Task<SessionResponse> Get(Guid id, ClaimsPrincipal user, SessionService sessions, CancellationToken ct) =>
        (await sessions.FindOwnAsync(user.UserId(), id, ct)).ToResponse();

    private static async Task<SessionResponse> Extend(Guid id, ExtendSessionRequest request, ClaimsPrincipal user, SessionService sessions, CancellationToken ct) =>
        (await sessions.ExtendAsync(user.UserId(), id, request, ct)).ToResponse();

    private static async Task<SessionResponse> Stop(Guid id, ClaimsPrincipal user, SessionService sessions, CancellationToken ct) =>
        (await sessions.StopAsync(user.UserId(), id, ct)).ToResponse();

    private static Task<Page<SessionResponse>> ListOwn(ClaimsPrincipal user, SessionService sessions, bool? active, int? page, int? pageSize, CancellationToken ct) =>
        sessions.ListOwnAsync(user.UserId(), active, Paging.From(page, pageSize), ct);

    private static Task<Page<SessionResponse>> ListForTenant(ClaimsPrincipal user, SessionsTable table, Guid? lotId, string? status, string? plate,
        DateTimeOffset? from, DateTimeOffset? to, int? page, int? pageSize, string? sort, string? dir, Guid? tenantId, CancellationToken ct) =>
        table.PageAsync(user, TableRequest.From(page, pageSize, sort, dir).With("tenantId", tenantId).With("lotId", lotId).With("status", status)
            .With("plate", plate).With("from", from).With("to", to), ct);

    /// <summary>
    /// Enforcement: is this plate paid right now in the operator's lots, by a running session or a reservation whose
    /// window is now? Only the operator's own tenant is searched.
    /// </summary>
    private static async Task<PlateCheck> CheckPlate(string plate, Guid? lotId, ClaimsPrincipal user, NpgsqlDataSource db, ReservationQueries reservations,
        TimeProvider time, FieldProtector protector, AuditLog audit, CancellationToken ct)
    {
        if (!Plates.IsValid(plate)) throw new ValidationException("plate", $"must be {Plates.Rule}.");
        var normalised = Plates.Normalise(plate)!;
        var tenant = user.TenantScope();
        var now = time.GetUtcNow();
        (Guid Id, Guid LotId, DateTime Until)? session;
        // Returned to the pool before the reservations lookup takes its own: holding one while waiting for a second
        // exhausted the pool under many concurrent lookups (each waited out the pool's timeout).
        await using (var connection = await db.OpenConnectionAsync(ct))
            session = await connection.QueryFirstOrDefaultAsync<(Guid Id, Guid LotId, DateTime Until)?>(new CommandDefinition("""
            select id, lot_id, ends_at from meter_sessions
            where (plate_index = @plateIndex or plate = @plate) and status = 'active' and started_at <= @now and ends_at > @now
              and (@tenant::uuid is null or tenant_id = @tenant) and (@lotId::uuid is null or lot_id = @lotId)
            order by ends_at desc limit 1
            """, new { plate = normalised, plateIndex = SessionFields.PlateIndex(protector, normalised), now, tenant, lotId }, cancellationToken: ct));
        var reservation = await reservations.PaidForPlateAsync(normalised, tenant, lotId, now, ct);
        // Whichever pays for longer answers: an officer sees the time the car may stay until.
        var check = session is { } m && (reservation is null || new DateTimeOffset(m.Until, TimeSpan.Zero) >= reservation.Until)
            ? new PlateCheck(normalised, true, "session", m.Id, m.LotId, new DateTimeOffset(m.Until, TimeSpan.Zero))
            : reservation is { } r
                ? new PlateCheck(normalised, true, "reservation", r.Id, r.LotId, r.Until)
                : new PlateCheck(normalised, false, null, null, null, null);
        await using (var connection = await db.OpenConnectionAsync(ct))
            await audit.PlateLookedUpAsync(connection, user, tenant, normalised, new { check.Paid, check.PaidBy, check.Id, check.LotId }, ct);
        return check;
    }
}
