using System.Security.Claims;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Admin;

/// <summary>
/// The events subscribers gave up on, for operators to see and replay: an operator sees their own tenant's, an admin
/// every one (or one tenant's with tenantId).
/// </summary>
public static class DeadLetterEndpoints
{
    public static void MapDeadLetterEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/manage/events/dead-letters").WithTags("Events").RequireAuthorization(Policies.Operator);
        group.MapGet("", List);
        group.MapPost("/{subscriber}/{eventId:guid}/replay", Replay);
        group.MapDelete("/{subscriber}/{eventId:guid}", Discard);
    }

    private static Task<IReadOnlyList<DeadLetter>> List(ClaimsPrincipal user, DeadLetters letters, string? subscriber, Guid? tenantId, int? limit, CancellationToken ct)
    {
        var (tenant, all) = Scope(user, tenantId);
        return letters.ListAsync(tenant, all, subscriber, limit ?? 100, ct);
    }

    private static async Task<IResult> Replay(string subscriber, Guid eventId, ClaimsPrincipal user, DeadLetters letters, CancellationToken ct)
    {
        var (tenant, all) = Scope(user, null);
        return await letters.ReplayAsync(subscriber, eventId, tenant, all, ct) ? TypedResults.Accepted((string?)null) : throw new NotFoundException("Dead letter");
    }

    private static async Task<IResult> Discard(string subscriber, Guid eventId, ClaimsPrincipal user, DeadLetters letters, CancellationToken ct)
    {
        var (tenant, all) = Scope(user, null);
        return await letters.DiscardAsync(subscriber, eventId, tenant, all, ct) ? TypedResults.NoContent() : throw new NotFoundException("Dead letter");
    }

    internal static (Guid? Tenant, bool All) Scope(ClaimsPrincipal user, Guid? requested)
    {
        var tenant = user.TenantScope(requested);
        return (tenant, user.IsAdmin() && tenant is null);
    }
}
