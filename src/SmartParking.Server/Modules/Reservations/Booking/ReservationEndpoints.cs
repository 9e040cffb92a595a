using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Reservations.Booking;

public sealed record OperatorCancellation(string? Reason);

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
        manage.MapPost("/{id:guid}/cancellation", CancelAsOperator);
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

    private static async Task<ReservationResponse> CancelAsOperator(Guid id, OperatorCancellation? request, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.CancelAsOperatorAsync(user, id, request?.Reason, ct)).ToResponse();

    private static async Task<ReservationResponse> CheckIn(Guid id, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.CheckInAsync(user.UserId(), id, ct)).ToResponse();

    private static async Task<ReservationResponse> CheckOut(Guid id, ClaimsPrincipal user, ReservationService service, CancellationToken ct) =>
        (await service.CheckOutAsync(user.UserId(), id, ct)).ToResponse();

    private static Task<Page<ReservationResponse>> ListOwn(ClaimsPrincipal user, ReservationQueries queries, string? status, int? page, int? pageSize, CancellationToken ct) =>
        queries.ListOwnAsync(user.UserId(), status, Paging.From(page, pageSize), ct);

    private static Task<Page<ReservationResponse>> ListForTenant(ClaimsPrincipal user, ReservationsTable table, Guid? lotId, string? status, string? plate,
        DateTimeOffset? from, DateTimeOffset? to, int? page, int? pageSize, string? sort, string? dir, Guid? tenantId, CancellationToken ct) =>
        table.PageAsync(user, TableRequest.From(page, pageSize, sort, dir).With("tenantId", tenantId).With("lotId", lotId).With("status", status).With("plate", plate)
            .With("from", from).With("to", to), ct);
}
