using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using SmartParking.Server.Modules.Identity;
using SmartParking.Server.Platform;
using SmartParking.Server.Platform.Database;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Tables;

namespace SmartParking.Server.Modules.Lots.Lots;

public static class LotEndpoints
{
    public const double MaxRadiusMeters = 50_000;

    public static void MapLotEndpoints(this IEndpointRouteBuilder app)
    {
        var manage = app.MapGroup("/api/v1/manage/lots").WithTags("Lots").RequireAuthorization(Policies.Operator);
        manage.MapGet("/", List);
        manage.MapGet("/{id:guid}", Get);
        manage.MapPost("/", Create);
        manage.MapPut("/{id:guid}", Update);
        manage.MapDelete("/{id:guid}", Delete);

        var lots = app.MapGroup("/api/v1/lots").WithTags("Lots (public)");
        lots.MapGet("/nearby", Nearby);
        lots.MapGet("/{id:guid}", GetPublic);
    }

    private static Task<Page<LotResponse>> List(ClaimsPrincipal principal, LotsTable table, int? page, int? pageSize, string? sort, string? dir,
        string? q, string? kind, string? city, string? amenity, Guid? tenantId, CancellationToken ct) =>
        table.PageAsync(principal, TableRequest.From(page, pageSize, sort, dir, q)
            .With("kind", kind).With("city", city).With("amenity", amenity).With("tenantId", tenantId), ct);

    private static Task<LotResponse> Get(Guid id, ClaimsPrincipal principal, LotService lots, CancellationToken ct) => lots.GetAsync(principal, id, ct);

    private static async Task<Created<LotResponse>> Create(LotRequest request, ClaimsPrincipal principal, LotService lots, CancellationToken ct)
    {
        var lot = await lots.CreateAsync(principal, request, ct);
        return TypedResults.Created($"/api/v1/manage/lots/{lot.Id}", lot);
    }

    private static Task<LotResponse> Update(Guid id, LotRequest request, ClaimsPrincipal principal, LotService lots, CancellationToken ct) =>
        lots.UpdateAsync(principal, id, request, ct);

    private static async Task<NoContent> Delete(Guid id, ClaimsPrincipal principal, LotService lots, CancellationToken ct)
    {
        await lots.DeleteAsync(principal, id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<PublicLot> GetPublic(Guid id, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await FindAsync(connection, id, null, ct)).ToPublic();
    }

    /// <summary>Lots within <paramref name="radius"/> metres of a point, nearest first.</summary>
    private static async Task<IReadOnlyList<NearbyLot>> Nearby(NpgsqlDataSource db, double? lat, double? lng, double? radius, int? limit, CancellationToken ct)
    {
        // Named after the query parameters, not the lot fields.
        new Validation()
            .Check(lat is >= -90 and <= 90, "lat", "is required and must be between -90 and 90.")
            .Check(lng is >= -180 and <= 180, "lng", "is required and must be between -180 and 180.")
            .Check(radius is null or (> 0 and <= MaxRadiusMeters), "radius", $"must be between 1 and {MaxRadiusMeters} metres.")
            .Check(limit is null or (>= 1 and <= 200), "limit", "must be between 1 and 200.")
            .ThrowIfInvalid();
        var r = radius ?? 1000;
        // A bounding box on the indexed columns first, then the exact great-circle distance.
        var dLat = r / Geo.EarthRadiusMeters * 180 / Math.PI;
        var dLng = dLat / Math.Max(0.01, Math.Cos(lat!.Value * Math.PI / 180));
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<LotRow>(new CommandDefinition($"""
            select * from (
                select x.*, 2 * {Geo.EarthRadiusMeters} * asin(sqrt(power(sin(radians(x.latitude - @lat) / 2), 2)
                       + cos(radians(@lat)) * cos(radians(x.latitude)) * power(sin(radians(x.longitude - @lng) / 2), 2))) as distance_meters
                from ({LotRow.Select} where l.latitude between @minLat and @maxLat
                      -- The box may cross the antimeridian; then part of it lies at longitudes shifted by 360.
                      and (l.longitude between @minLng and @maxLng or l.longitude between @minLng + 360 and @maxLng + 360
                           or l.longitude between @minLng - 360 and @maxLng - 360)) x
            ) d where distance_meters <= @r order by distance_meters, id limit @limit
            """, new { lat, lng, r, minLat = lat - dLat, maxLat = lat + dLat, minLng = lng - dLng, maxLng = lng + dLng, limit = limit ?? 50 }, cancellationToken: ct));
        return rows.Select(x => x.ToNearby()).ToList();
    }

    internal static async Task<LotRow> FindAsync(NpgsqlConnection connection, Guid id, Guid? scope, CancellationToken ct, NpgsqlTransaction? tx = null, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<LotRow>(new CommandDefinition(
            $"{LotRow.Select} where l.id = @id and (@scope::uuid is null or l.tenant_id = @scope){(forUpdate ? " for update of l" : "")}",
            new { id, scope }, tx, cancellationToken: ct))
        ?? throw new NotFoundException("Lot");
}
