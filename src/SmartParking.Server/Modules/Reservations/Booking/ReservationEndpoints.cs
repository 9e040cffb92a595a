using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Reservations.Booking;

public sealed record PaidReservation(ReservationResponse Reservation, PaymentOutcome Payment);

public static class ReservationEndpoints
{
    public static void MapReservationEndpoints(this IEndpointRouteBuilder app)
    {
        var driver = app.MapGroup("/api/v1/reservations").WithTags("Reservations").RequireAuthorization(Policies.Driver);
        driver.MapPost("", Create).WithIdempotencyKey();
        driver.MapGet("", ListOwn);
        driver.MapGet("/{id:guid}", Get);
        driver.MapPost("/{id:guid}/payment", Pay).WithIdempotencyKey();
        driver.MapPost("/{id:guid}/extension", Extend).WithIdempotencyKey();
        driver.MapPost("/{id:guid}/cancellation", Cancel).WithIdempotencyKey();
        driver.MapPost("/{id:guid}/check-in", CheckIn);
        driver.MapPost("/{id:guid}/check-out", CheckOut);

        var manage = app.MapGroup("/api/v1/manage/reservations").WithTags("Reservations").RequireAuthorization(Policies.Operator);
        manage.MapGet("", ListForTenant);
    }

    private static async Task<Created<ReservationResponse>> Create(ReservationRequest request, ClaimsPrincipal user, ReservationService service, CancellationToken ct)
    {
        var row = await service.CreateAsync(user.UserId(), request, ct);
        return TypedResults.Created($"/api/v1/reservations/{row.Id}", row.ToResponse());
    }

    private static async Task<ReservationResponse> Get(Guid id, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.FindOwnAsync(user.UserId(), id, ct)).ToResponse();

    /// <summary>200 when paid and confirmed; 202 while the provider has not decided (the reservation stays held).</summary>
    private static async Task<IResult> Pay(Guid id, ClaimsPrincipal user, ReservationService service, CancellationToken ct)
    {
        var (row, payment) = await service.PayAsync(user.UserId(), id, ct);
        var body = new PaidReservation(row.ToResponse(), payment);
        return payment.State == PaymentState.Pending ? TypedResults.Accepted($"/api/v1/reservations/{id}", body) : TypedResults.Ok(body);
    }

    private static async Task<ReservationResponse> Extend(Guid id, ExtensionRequest request, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.ExtendAsync(user.UserId(), id, request, ct)).ToResponse();

    private static async Task<ReservationResponse> Cancel(Guid id, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.CancelAsync(user.UserId(), id, ct)).ToResponse();

    private static async Task<ReservationResponse> CheckIn(Guid id, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.CheckInAsync(user.UserId(), id, ct)).ToResponse();

    private static async Task<ReservationResponse> CheckOut(Guid id, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.CheckOutAsync(user.UserId(), id, ct)).ToResponse();

    private static async Task<Page<ReservationResponse>> ListOwn(ClaimsPrincipal user, NpgsqlDataSource db, string? status, int? page, int? pageSize, CancellationToken ct)
    {
        new Validation().OneOf(status, "status", ReservationStatus.All, required: false).ThrowIfInvalid();
        return await ListAsync(db, "r.driver_id = @driverId and (@status::text is null or r.status = @status)", new { driverId = user.UserId(), status }, Paging.From(page, pageSize), ct);
    }

    private static async Task<Page<ReservationResponse>> ListForTenant(ClaimsPrincipal user, NpgsqlDataSource db, Guid? lotId, string? status, string? plate,
        DateTimeOffset? from, DateTimeOffset? to, int? page, int? pageSize, CancellationToken ct)
    {
        new Validation().OneOf(status, "status", ReservationStatus.All, required: false).ThrowIfInvalid();
        var tenant = user.TenantScope();
        return await ListAsync(db, """
            (@tenant::uuid is null or r.tenant_id = @tenant) and (@lotId::uuid is null or r.lot_id = @lotId)
            and (@status::text is null or r.status = @status) and (@plate::text is null or r.plate = @plate)
            and (@from::timestamptz is null or upper(r.during) > @from) and (@to::timestamptz is null or lower(r.during) < @to)
            """, new { tenant, lotId, status, plate = Plates.Normalise(plate), from, to }, Paging.From(page, pageSize), ct);
    }

    private static async Task<Page<ReservationResponse>> ListAsync(NpgsqlDataSource db, string where, object parameters, Paging paging, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var p = new DynamicParameters(parameters);
        p.Add("limit", paging.PageSize);
        p.Add("offset", paging.Offset);
        var rows = await connection.QueryAsync<ReservationRow>(new CommandDefinition(
            $"{ReservationRow.Select} where {where} order by lower(r.during) desc, r.id limit @limit offset @offset", p, cancellationToken: ct));
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"select count(*) from reservations r where {where}", p, cancellationToken: ct));
        return new Page<ReservationResponse>(rows.Select(r => r.ToResponse()).ToList(), paging.Page, paging.PageSize, total);
    }
}
