using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SmartParking.Server.Modules.Sensors.Registry;
using SmartParking.Server.Platform.Errors;
using SmartParking.Server.Platform.Http;
using SmartParking.Server.Platform.Input;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Sensors.Ingest;

public sealed record ReadingItemResult(int Index, string? SensorId, string Outcome, string? Error);
public sealed record ReadingBatchResult(int Accepted, int Duplicates, int Rejected, IReadOnlyList<ReadingItemResult> Items);

/// <summary>
/// <c>POST /api/v1/ingest/readings</c>: up to 1,000 readings under a device credential (HTTP Basic serial:secret, its own
/// readings only) or a gateway key (any sensor of the tenant). 202 means every accepted item is durable.
/// </summary>
public static class HttpIngestEndpoints
{
    public static void MapHttpIngest(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/ingest/readings", IngestAsync).WithTags("Ingest").DisableRateLimiting()
            .DescribeBody<ReadingBatchBody>("Readings, as {\"readings\": [...]} or a bare array of them.", oneOrMany: false, "application/json")
            .Produces<ReadingBatchResult>(StatusCodes.Status202Accepted);

    internal sealed record Caller(Guid TenantId, string? OnlySerial);

    /// <summary>A device (Basic serial:secret) or a gateway (X-Gateway-Key); 401 otherwise.</summary>
    internal static async ValueTask<Caller> AuthenticateAsync(HttpRequest request, SensorDirectory directory, GatewayKeys gateways, CancellationToken ct)
    {
        if (request.Headers.TryGetValue(GatewayKeys.Header, out var key))
            return await gateways.VerifyAsync(key.ToString(), ct) is { } tenant ? new Caller(tenant, null) : throw new UnauthorizedException("The gateway key is not valid.");
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header) && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && header.Parameter is { } encoded)
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
            catch (FormatException) { throw new UnauthorizedException("The Basic credentials are not valid base64."); }
            var colon = decoded.IndexOf(':');
            if (colon > 0 && await directory.VerifyAsync(decoded[..colon], decoded[(colon + 1)..], ct) is { } sensor)
                return new Caller(sensor.TenantId, sensor.Serial);
            throw new UnauthorizedException("The sensor serial or secret is wrong.");
        }
        throw new UnauthorizedException($"Send the device credentials as HTTP Basic (serial:secret) or a gateway key in {GatewayKeys.Header}.");
    }

    private static async Task<IResult> IngestAsync(HttpRequest request, DeviceIngest ingest, GatewayKeys gateways, IOptions<IngestOptions> options, CancellationToken ct)
    {
        var caller = await AuthenticateAsync(request, ingest.Directory, gateways, ct);
        using var document = await JsonBody.ReadAsync(request, ct, maxDepth: 16);
        var items = document.RootElement.ValueKind switch
        {
            JsonValueKind.Array => document.RootElement,
            JsonValueKind.Object when document.RootElement.TryGetProperty("readings", out var r) && r.ValueKind == JsonValueKind.Array => r,
            _ => throw new ValidationException("readings", "must be an array of readings."),
        };
        var count = items.GetArrayLength();
        if (count == 0) throw new ValidationException("readings", "must not be empty.");
        if (count > options.Value.MaxHttpBatch) throw new ValidationException("readings", $"must hold at most {options.Value.MaxHttpBatch} readings.");

        var results = new ReadingItemResult[count];
        var readings = new List<Reading>(count);
        var positions = new List<int>(count);
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var i = index++;
            if (StoredText.Problem(item) is { } badText) { results[i] = new(i, null, "rejected", badText); continue; }
            var serial = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("sensorId", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : caller.OnlySerial;
            if (serial is null) { results[i] = new(i, null, "rejected", "sensorId is required."); continue; }
            if (serial.Length > 200) { results[i] = new(i, null, "rejected", "sensorId must be at most 200 characters."); continue; }
            if (caller.OnlySerial is { } own && serial != own) { results[i] = new(i, serial, "rejected", "a device may send only its own readings."); continue; }
            if (!ReadingPayloads.TryParseReading(item, out var parsed, out var error)) { results[i] = new(i, serial, "rejected", error); continue; }
            var (reading, problem) = await ingest.ResolveAsync(serial, parsed, ReadingSource.Http, caller.TenantId, ct);
            if (problem is not null) { results[i] = new(i, serial, "rejected", problem); continue; }
            readings.Add(reading);
            positions.Add(i);
            results[i] = new(i, serial, "accepted", null);
        }

        // Nothing to store: the request as a whole was bad, and a 202 would tell the gateway all is well.
        if (readings.Count == 0)
            throw new ValidationException(results.ToDictionary(r => $"readings[{r.Index}]", r => new[] { r.Error ?? "rejected." }));
        var (outcomes, busy) = await ingest.SubmitDurableAsync(readings, TimeSpan.FromSeconds(options.Value.HttpDurableTimeoutSeconds), ct);
        if (outcomes is null) return Busy(request.HttpContext, busy!);
        for (var k = 0; k < outcomes.Length; k++)
        {
            var i = positions[k];
            results[i] = outcomes[k] switch
            {
                IngestOutcome.Duplicate => results[i] with { Outcome = "duplicate" },
                IngestOutcome.Rejected => results[i] with { Outcome = "rejected", Error = "the database refused this reading; sending it again will not help." },
                _ => results[i] with { Outcome = "accepted" },
            };
        }
        return TypedResults.Json(new ReadingBatchResult(
            results.Count(r => r.Outcome == "accepted"), results.Count(r => r.Outcome == "duplicate"), results.Count(r => r.Outcome == "rejected"), results),
            statusCode: StatusCodes.Status202Accepted);
    }

    internal static IResult Busy(HttpContext http, string detail)
    {
        http.Response.Headers.RetryAfter = "2";
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable");
    }
}
