using System.Text.Json;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Fiware;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Input;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Sensors.Ingest;

/// <summary>
/// FIWARE context updates from IoT agents: NGSI-LD <c>POST /ngsi-ld/v1/entityOperations/upsert</c> and NGSI-v2
/// <c>POST /v2/op/update</c> with ParkingSpot entities whose id is a space's FIWARE id. Gateway key required.
/// </summary>
public static class FiwareIngestEndpoints
{
    public static void MapFiwareIngest(this IEndpointRouteBuilder app)
    {
        app.MapPost("/ngsi-ld/v1/entityOperations/upsert", UpsertLdAsync).WithTags("FIWARE").DisableRateLimiting()
            .DescribeBody<IReadOnlyList<ParkingSpotEntity>>("ParkingSpot entities whose ids are spaces' FIWARE ids.", oneOrMany: false, "application/json", "application/ld+json");
        app.MapPost("/v2/op/update", UpdateV2Async).WithTags("FIWARE").DisableRateLimiting()
            .DescribeBody<NgsiV2Update>("An NGSI-v2 batch update of ParkingSpot entities whose ids are spaces' FIWARE ids.", oneOrMany: false, "application/json");
    }

    private sealed record EntityError(string EntityId, string Detail, int Status = 400);

    private static async Task<IResult> UpsertLdAsync(HttpRequest request, DeviceIngest ingest, GatewayKeys gateways, IOptions<IngestOptions> options, CancellationToken ct)
    {
        var tenant = await GatewayTenantAsync(request, gateways, ct);
        using var document = await JsonBody.ReadAsync(request, ct);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new ValidationException("body", "must be an array of entities.");
        var (ok, errors, busy) = await IngestEntitiesAsync(document.RootElement, tenant, ReadingSource.NgsiLd, ingest, options.Value, ct);
        if (ok is null) return HttpIngestEndpoints.Busy(request.HttpContext, busy!);
        if (errors.Count == 0) return TypedResults.NoContent();
        // NGSI-LD BatchOperationResult.
        return TypedResults.Json(new
        {
            success = ok,
            errors = errors.Select(e => new { entityId = e.EntityId, error = Problem(e.Detail, e.Status) }),
        }, statusCode: StatusCodes.Status207MultiStatus);
    }

    private static async Task<IResult> UpdateV2Async(HttpRequest request, DeviceIngest ingest, GatewayKeys gateways, IOptions<IngestOptions> options, CancellationToken ct)
    {
        var tenant = await GatewayTenantAsync(request, gateways, ct);
        using var document = await JsonBody.ReadAsync(request, ct);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("entities", out var entities) || entities.ValueKind != JsonValueKind.Array)
            throw new ValidationException("entities", "must be an array of entities.");
        var action = root.TryGetProperty("actionType", out var a) && a.ValueKind == JsonValueKind.String && StoredText.Problem(a) is null ? a.GetString() : null;
        if (action is not ("append" or "appendStrict" or "update" or "replace"))
            throw new ValidationException("actionType", "must be append, appendStrict, update or replace (deletes are not accepted from agents).");
        var (ok, errors, busy) = await IngestEntitiesAsync(entities, tenant, ReadingSource.NgsiV2, ingest, options.Value, ct);
        if (ok is null) return HttpIngestEndpoints.Busy(request.HttpContext, busy!);
        if (errors.Count == 0) return TypedResults.NoContent();
        // NGSI-v2 error shape; the valid entities were stored.
        return TypedResults.Json(new { error = "PartialUpdate", description = string.Join("; ", errors.Select(e => $"{e.EntityId}: {e.Detail}")) },
            statusCode: StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<(List<string>? Ok, List<EntityError> Errors, string? Busy)> IngestEntitiesAsync(JsonElement entities, Guid tenant, ReadingSource source,
        DeviceIngest ingest, IngestOptions options, CancellationToken ct)
    {
        if (entities.GetArrayLength() > options.MaxHttpBatch) throw new ValidationException("entities", $"must hold at most {options.MaxHttpBatch} entities.");
        var errors = new List<EntityError>();
        var readings = new List<Reading>();
        var ids = new List<string>();
        foreach (var element in entities.EnumerateArray())
        {
            var entity = new FiwareEntity(element);
            if (!entity.IsObject) { errors.Add(new("(not an entity)", "an entity must be a JSON object.")); continue; }
            if (StoredText.Problem(element) is { } badText) { errors.Add(new("(unreadable id)", badText)); continue; }
            var id = entity.Id ?? "(no id)";
            if (id.Length > 300) { errors.Add(new(id[..40] + "…", "an entity id must be at most 300 characters.")); continue; }
            if (entity.Type != "ParkingSpot") { errors.Add(new(id, "only ParkingSpot entities carry readings.")); continue; }
            if (!ReadingPayloads.TryParseReading(element, out var parsed, out var error)) { errors.Add(new(id, error!)); continue; }
            var (reading, problem) = await ingest.ResolveSpotAsync(tenant, id, parsed, source, ct);
            if (problem is not null) { errors.Add(new(id, problem, 404)); continue; }
            readings.Add(reading);
            ids.Add(id);
        }
        var (outcomes, busy) = await ingest.SubmitDurableAsync(readings, TimeSpan.FromSeconds(options.HttpDurableTimeoutSeconds), ct);
        if (outcomes is null) return (null, errors, busy);
        for (var k = 0; k < outcomes.Length; k++)
            if (outcomes[k] == IngestOutcome.Rejected) errors.Add(new(ids[k], "the database refused this reading; sending it again will not help."));
        return (ids.Where((_, k) => outcomes[k] != IngestOutcome.Rejected).ToList(), errors, busy);
    }

    private static object Problem(string detail, int status = 400) => new
    {
        type = status == 404 ? "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound" : "https://uri.etsi.org/ngsi-ld/errors/BadRequestData",
        title = status == 404 ? "Entity not found" : "Bad request data",
        status,
        detail,
    };

    private static async Task<Guid> GatewayTenantAsync(HttpRequest request, GatewayKeys gateways, CancellationToken ct) =>
        await gateways.VerifyAsync(request.Headers[GatewayKeys.Header].ToString(), ct)
        ?? throw new UnauthorizedException($"FIWARE agents authenticate with a gateway key in {GatewayKeys.Header}.");
}
