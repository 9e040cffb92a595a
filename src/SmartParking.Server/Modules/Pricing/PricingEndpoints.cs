using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Tables;
using SmartParking.Server.Platform.Time;
using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;

namespace SmartParking.Server.Modules.Pricing;

public sealed record PricingEventRequest(
    [property: Required] string? Name,
    [property: Required, Description("An ISO 8601 date-time with an offset, e.g. 2026-03-01T09:00:00+01:00.")] DateTimeOffset? StartsAt,
    [property: Required, Description("An ISO 8601 date-time with an offset, e.g. 2026-03-01T09:00:00+01:00.")] DateTimeOffset? EndsAt,
    [property: Required, Description("Price multiplier while the event runs, 1 to 2.")] decimal? Multiplier,
    [property: Required, Description("Decimal degrees (WGS 84), -90 to 90.")] double? Latitude,
    [property: Required, Description("Decimal degrees (WGS 84), -180 to 180.")] double? Longitude,
    [property: Required, Description("Lots within this many metres (up to 50000) are affected.")] double? RadiusMeters);

/// <param name="Period">The time band the step moved (peak, off_peak); PreviousRate and DemandRate are that band's. Null before bands existed.</param>
public sealed record PriceHistoryEntry(DateTimeOffset At, double? Occupancy, double? Forecast, decimal PreviousRate, decimal DemandRate, decimal RateNow, string Rule, decimal TimeMultiplier,
    decimal EventMultiplier, string? Period = null);

public static class PricingEndpoints
{
    private static readonly TimeSpan MaxQuoteSpan = TimeSpan.FromDays(31);

    public static void MapPricingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/lots/{id:guid}/quote", QuoteFor).WithTags("Pricing");

        var manage = app.MapGroup("/api/v1/manage").WithTags("Pricing").RequireAuthorization(Policies.Operator);
        manage.MapGet("/lots/{lotId:guid}/pricing-policy", GetLotPolicy);
        manage.MapPut("/lots/{lotId:guid}/pricing-policy", PutLotPolicy);
        manage.MapGet("/lots/{lotId:guid}/price-history", LotHistory);
        manage.MapGet("/zones/{zoneId:guid}/pricing-policy", GetZonePolicy);
        manage.MapPut("/zones/{zoneId:guid}/pricing-policy", PutZonePolicy);
        manage.MapDelete("/zones/{zoneId:guid}/pricing-policy", DeleteZonePolicy);
        manage.MapGet("/zones/{zoneId:guid}/price-history", ZoneHistory);
        manage.MapGet("/pricing-events", ListEvents);
        manage.MapPost("/pricing-events", CreateEvent);
        manage.MapDelete("/pricing-events/{id:guid}", DeleteEvent);
        app.MapExperimentEndpoints();
    }

    /// <summary>
    /// The price of a stay as reservations and sessions would lock it, with how it was made: for a space (its zone and
    /// type), a zone, or a space type; a signed-in driver in a driver experiment gets their group's price.
    /// </summary>
    /// <remarks>
    /// The type is <c>spaceType</c>, as a reservation names it; <c>type</c> (as availability names it) is read too. Either is
    /// checked against the vocabulary: an unknown one would otherwise price the lot as a whole without a word.
    /// </remarks>
    private static async Task<Quote> QuoteFor(Guid id, DateTimeOffset? start, DateTimeOffset? end, string? spaceType, string? type, Guid? zoneId, Guid? spaceId,
        ClaimsPrincipal user, LotCatalog lots, ZoneRuleBook rules, PricingService pricing, NpgsqlDataSource db, CancellationToken ct)
    {
        new Validation()
            .Check(start is not null, "start", "is required.")
            .Instant(start, "start")
            .Instant(end, "end")
            .Check(end is not null && (start is null || end > start), "end", "is required and must be after start.")
            .Check(start is null || end is null || end - start <= MaxQuoteSpan, "end", "a quote covers at most 31 days.")
            .OneOf(spaceType, "spaceType", LotsVocabulary.SpaceTypes, required: false)
            .OneOf(type, "type", LotsVocabulary.SpaceTypes, required: false)
            .Check(spaceType is null || type is null || spaceType == type, "spaceType", "give spaceType or type, not two different types.")
            .Check(spaceId is null || zoneId is null, "zoneId", "give a space or a zone, not both (a space's zone is known).")
            .ThrowIfInvalid();
        type = spaceType ?? type;
        var lot = await lots.FindAsync(id, ct) ?? throw new NotFoundException("Lot");
        if (spaceId is { } sid)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var space = await TenantPlaces.SpaceAsync(connection, null, sid, ct) is { } s && s.LotId == lot.Id ? s
                : throw new ValidationException("spaceId", "is not a space of this lot.");
            if (type is not null && type != space.Type) throw new ValidationException(spaceType is not null ? "spaceType" : "type", $"the space is of type {space.Type}.");
            (zoneId, type) = (space.ZoneId, space.Type);
        }
        else if (zoneId is { } zid && !await lots.HasZoneAsync(lot.Id, zid, ct)) throw new ValidationException("zoneId", "is not a zone of this lot.");
        var driver = user.Identity?.IsAuthenticated == true ? user.UserId() : (Guid?)null;
        var (from, until) = (start!.Value.ToWholeSecond(), end!.Value.ToWholeSecond());
        var quote = await pricing.QuoteAsync(lot, from, until, new PriceScope(zoneId, type, driver), ct);
        // Still priced, so an app can show what the open part would cost, but a closed part is said, not hidden: a
        // reservation over it would be refused.
        var closed = lot.ClosedDuring(from, until).Select(c => new ClosedPart(c.From, c.Until, LocalTimes.Range(c.From, c.Until, lot.TimeZone))).ToList();
        // The rules of the zone (or space) asked about, with the lot's own; a quote for the whole lot has the lot's only.
        var place = await rules.ForPlaceAsync(lot, zoneId, ct);
        return quote with
        {
            Open = closed.Count == 0, Closed = closed, TimeZone = lot.TimeZone, Local = LocalTimes.Range(from, until, lot.TimeZone),
            ParkingRules = place.ActiveDuring(from, until).Select(r => r.Text).ToList(),
            RuleBreach = place.Check(from, until, type == ZoneRuleKinds.LoadingSpaceType)?.Detail,
        };
    }

    /// <summary>The lot's policy, or the default one it runs by when none has been set.</summary>
    private static Task<PricingPolicy> GetLotPolicy(Guid lotId, ClaimsPrincipal user, PricingPolicies policies, CancellationToken ct) =>
        policies.LotPolicyAsync(lotId, user, ct);

    private static async Task<PricingPolicy> PutLotPolicy(Guid lotId, PricingPolicy policy, ClaimsPrincipal user, PricingPolicies policies, CancellationToken ct)
    {
        await policies.SaveLotPolicyAsync(lotId, policy, user, ct);
        return policy;
    }

    private static Task<PricingPolicy> GetZonePolicy(Guid zoneId, ClaimsPrincipal user, PricingPolicies policies, CancellationToken ct) =>
        policies.ZonePolicyAsync(zoneId, user, ct);

    private static async Task<PricingPolicy> PutZonePolicy(Guid zoneId, PricingPolicy policy, ClaimsPrincipal user, PricingPolicies policies, CancellationToken ct)
    {
        await policies.SaveZonePolicyAsync(zoneId, policy, user, ct);
        return policy;
    }

    private static async Task<NoContent> DeleteZonePolicy(Guid zoneId, ClaimsPrincipal user, PricingPolicies policies, CancellationToken ct)
    {
        await policies.DeleteZonePolicyAsync(zoneId, user, ct);
        return TypedResults.NoContent();
    }

    private static async Task<IReadOnlyList<PriceHistoryEntry>> LotHistory(Guid lotId, int? limit, ClaimsPrincipal user, PriceHistoryTable table, CancellationToken ct)
    {
        CheckLimit(limit);
        return (await table.PageAsync(user, new TableRequest { PageSize = limit ?? 100 }.With("lotId", lotId), ct)).Items;
    }

    private static async Task<IReadOnlyList<PriceHistoryEntry>> ZoneHistory(Guid zoneId, int? limit, ClaimsPrincipal user, PriceHistoryTable table, CancellationToken ct)
    {
        CheckLimit(limit);
        return (await table.PageAsync(user, new TableRequest { PageSize = limit ?? 100 }.With("zoneId", zoneId), ct)).Items;
    }

    private static void CheckLimit(int? limit) => new Validation().Check(limit is null or (>= 1 and <= 1000), "limit", "must be between 1 and 1000.").ThrowIfInvalid();

    private static Task<IReadOnlyList<PricingService.EventRow>> ListEvents(ClaimsPrincipal user, PricingEvents events, bool? current, CancellationToken ct) =>
        events.ListAsync(user, current ?? false, ct);

    private static async Task<Created<PricingService.EventRow>> CreateEvent(PricingEventRequest request, Guid? tenantId, ClaimsPrincipal user, PricingEvents events, CancellationToken ct)
    {
        var created = await events.CreateAsync(user, request, tenantId, ct);
        return TypedResults.Created($"/api/v1/manage/pricing-events/{created.Id}", created);
    }

    private static async Task<NoContent> DeleteEvent(Guid id, ClaimsPrincipal user, PricingEvents events, CancellationToken ct)
    {
        await events.DeleteAsync(user, id, ct);
        return TypedResults.NoContent();
    }
}
