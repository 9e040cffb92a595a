using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Sensors;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;

namespace SmartParking.Server.Modules.Availability;

/// <summary>
/// A lot's spaces as the API pages them: <see cref="Page"/> says how many there are and where the next page is;
/// StaleSpaces counts, over the whole lot, those shown from a sensor whose report is due.
/// </summary>
public sealed record LotSpacesPage(LotAvailability Lot, IReadOnlyList<SpaceAvailability> Spaces, int StaleSpaces, PageInfo Page);

public static class AvailabilityEndpoints
{
    public const double MaxRadiusMeters = 50_000;

    public static void MapAvailabilityEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Availability");
        group.MapGet("/availability", Nearby).Produces<IReadOnlyList<LotAvailability>>(contentType: "application/json");
        group.MapGet("/lots/{id:guid}/availability", ForLot);
        group.MapGet("/availability/stream", Stream).DisableRateLimiting();
    }

    /// <summary>
    /// Counts by space type are left out unless asked for (<c>byType=true</c>): they triple the answer's size. The answer
    /// stays an array; how many lots matched and the next page are in its headers (<see cref="ResultWindow"/>).
    /// </summary>
    private static NearbyAnswer Nearby(HttpContext http, AvailabilityModel model, IOptions<JsonOptions> json, double? lat, double? lng, double? radius, string? type,
        int? limit, int? offset, bool? byType)
    {
        ValidateArea(lat, lng, radius, required: true);
        var window = ResultWindow.From(limit, offset, defaultLimit: 50, maxLimit: 200,
            new Validation().OneOf(type, "type", LotsVocabulary.SpaceTypes, required: false));
        var lots = model.Nearby(lat!.Value, lng!.Value, radius ?? 1000, type, window.Offset, window.Limit, out var total);
        window.Announce(http, total, lots.Count);
        return new NearbyAnswer(lots, type, byType == true, json.Value.SerializerOptions);
    }

    /// <summary>A lot's spaces, a page at a time (all of a lot up to 1,000 spaces by default).</summary>
    private static LotSpacesPage ForLot(HttpContext http, Guid id, AvailabilityModel model, int? limit, int? offset)
    {
        var window = ResultWindow.From(limit, offset, defaultLimit: 1000, maxLimit: 5000);
        var lot = model.LotWithSpaces(id) ?? throw new NotFoundException("Lot");
        var spaces = lot.Spaces.Skip(window.Offset).Take(window.Limit).ToList();
        return new LotSpacesPage(lot.Lot, spaces, lot.StaleSpaces, window.Describe(http, lot.Spaces.Count, spaces.Count));
    }

    /// <summary>
    /// Server-Sent Events of status changes for one lot (<c>lotId</c>) or an area (<c>lat</c>, <c>lng</c>, <c>radius</c>).
    /// Each event's id is the change version; a reconnect with Last-Event-ID first replays what changed since.
    /// </summary>
    private static IResult Stream(HttpContext http, AvailabilityModel model, NpgsqlDataSource db, Guid? lotId, double? lat, double? lng, double? radius)
    {
        if (lotId is null) ValidateArea(lat, lng, radius, required: true);
        if (lotId is { } id && model.Lot(id) is null) throw new NotFoundException("Lot");
        long? lastEventId = long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), out var last) ? last : null;
        HashSet<Guid> lots = lotId is { } one ? [one] : model.LotIdsNear(lat!.Value, lng!.Value, radius ?? 1000);
        return TypedResults.ServerSentEvents(Events(http, model, db, lots, lastEventId, http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<AvailabilityChange>> Events(HttpContext http, AvailabilityModel model, NpgsqlDataSource db, HashSet<Guid> lots,
        long? since, [EnumeratorCancellation] CancellationToken ct)
    {
        var live = model.Subscribe(ct);
        // Send the headers now, not with the first event: a resume that missed nothing, or an area without lots, may have
        // nothing to say for a long time, and clients and proxies give up on a request that has not answered. Once the
        // client has the headers it is subscribed, so no change it causes afterwards can be missed.
        await http.Response.Body.FlushAsync(ct);
        var sent = since ?? model.Version;
        if (since is { } from)
        {
            // The latest state of each space that changed while the client was away.
            await using var connection = await db.OpenConnectionAsync(ct);
            var missed = await connection.QueryAsync<(Guid SpaceId, Guid LotId, short Status, DateTime ChangedAt, long Version)>(new CommandDefinition(
                "select space_id, lot_id, status, changed_at, version from space_status where version > @from and lot_id = any(@lots) order by version",
                new { from, lots = lots.ToArray() }, cancellationToken: ct));
            foreach (var m in missed)
            {
                var counts = model.Lot(m.LotId)?.Counts ?? Counts.Empty;
                var (observedAt, confidence) = model.Freshness(m.SpaceId);
                yield return Item(new AvailabilityChange(m.Version, m.LotId, m.SpaceId, ((SpaceStatus)m.Status).Name(), new DateTimeOffset(m.ChangedAt, TimeSpan.Zero), counts,
                    observedAt, confidence));
                sent = Math.Max(sent, m.Version);
            }
        }
        else
        {
            // A first event with the current counts so a client can render before anything changes.
            foreach (var lotId in lots)
                if (model.Lot(lotId) is { } lot)
                    yield return new SseItem<AvailabilityChange>(new AvailabilityChange(sent, lotId, Guid.Empty, "snapshot", lot.UpdatedAt ?? DateTimeOffset.UnixEpoch, lot.Counts), "snapshot");
        }
        await foreach (var change in live.ReadAllAsync(ct))
        {
            if (change.Version <= sent || !lots.Contains(change.LotId)) continue;
            sent = change.Version;
            yield return Item(change);
        }
    }

    private static SseItem<AvailabilityChange> Item(AvailabilityChange change) =>
        new(change, "availability") { EventId = change.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), ReconnectionInterval = TimeSpan.FromSeconds(2) };

    internal static void ValidateArea(double? lat, double? lng, double? radius, bool required)
    {
        new Validation()
            .Check(lat is >= -90 and <= 90 || (!required && lat is null), "lat", "is required and must be between -90 and 90.")
            .Check(lng is >= -180 and <= 180 || (!required && lng is null), "lng", "is required and must be between -180 and 180.")
            .Check(radius is null or (> 0 and <= MaxRadiusMeters), "radius", $"must be between 1 and {MaxRadiusMeters} metres.")
            .ThrowIfInvalid();
    }
}
