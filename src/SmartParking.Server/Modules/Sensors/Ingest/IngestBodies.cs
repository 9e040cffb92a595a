using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Platform.OpenApi;

namespace SmartParking.Server.Modules.Sensors.Ingest;

// The bodies the ingest endpoints read themselves (see ReadingPayloads), as the OpenAPI document describes them.

public static class IngestBodies
{
    public const string ObservedAt =
        "When the sensor saw it: an ISO 8601 date-time (without an offset it is UTC) or Unix seconds or milliseconds. Also read as 'timestamp' or 'ts'. "
        + "Left out, the time the server receives it.";

    public const string Status =
        "free, occupied, closed or unknown (vacant, available, taken, out_of_service, 0/1 and true/false are read too). A reading needs this or 'occupied'.";
}

[Description("A batch of readings: this object, or a bare JSON array of readings. Each item is judged on its own.")]
public sealed record ReadingBatchBody(
    [property: Required, Description("At most Ingest:MaxHttpBatch (1,000 by default) readings.")] IReadOnlyList<ReadingBody> Readings);

[Description("One reading: 'status' or 'occupied' says what the space is.")]
public sealed record ReadingBody(
    [property: Description("The sensor's serial. A device signed in with HTTP Basic may leave it out (its own); a gateway must give it.")] string? SensorId,
    [property: Vocabulary(typeof(SpaceStatuses), nameof(SpaceStatuses.Names)), Description(IngestBodies.Status)] string? Status,
    [property: Description("true for occupied, false for free; read when 'status' is left out.")] bool? Occupied,
    [property: Description(IngestBodies.ObservedAt)] DateTimeOffset? ObservedAt);

[Description("A FIWARE ParkingSpot (Smart Data Models), normalized or key-values: 'status' is a Property object or the bare value.")]
public sealed record ParkingSpotEntity(
    [property: Required, Description("The space's FIWARE id, as its externalId (e.g. urn:ngsi-ld:ParkingSpot:garage-1:A1).")] string Id,
    [property: Required, Vocabulary("ParkingSpot"), Description("Only ParkingSpot entities carry readings.")] string Type,
    [property: Description("The reading. Key-values form: \"status\": \"free\".")] NgsiStatus? Status);

[Description("An NGSI Property holding the reading.")]
public sealed record NgsiStatus(
    [property: Description("Property (NGSI-LD) or Text (NGSI-v2); not checked.")] string? Type,
    [property: Required, Vocabulary(typeof(SpaceStatuses), nameof(SpaceStatuses.Names)), Description(IngestBodies.Status)] string Value,
    [property: Description("NGSI-LD: " + IngestBodies.ObservedAt)] DateTimeOffset? ObservedAt,
    [property: Description("NGSI-v2: metadata.timestamp.value is the time of the reading.")] NgsiV2Metadata? Metadata);

public sealed record NgsiV2Metadata([property: Required] NgsiV2Timestamp Timestamp);

public sealed record NgsiV2Timestamp(
    [property: Description("DateTime")] string? Type,
    [property: Required, Description("ISO 8601 date-time (without an offset it is UTC).")] DateTimeOffset Value);

[Description("An NGSI-v2 batch update.")]
public sealed record NgsiV2Update(
    [property: Required, Vocabulary("append", "appendStrict", "update", "replace"), Description("Deletes are not taken from agents.")] string ActionType,
    [property: Required, Description("ParkingSpot entities, at most Ingest:MaxHttpBatch (1,000 by default).")] IReadOnlyList<ParkingSpotEntity> Entities);
