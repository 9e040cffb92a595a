using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.OpenApi;
using SmartParking.Server.Platform.Protection;

namespace SmartParking.Server.Modules.Reservations;

/// <summary>A space by id, or any space of a type in the lot.</summary>
public sealed record ReservationRequest(
    [property: Required] Guid? LotId,
    [property: Description("A space of the lot; or leave it out and give spaceType for any space of that type.")] Guid? SpaceId,
    [property: Vocabulary(typeof(LotsVocabulary), nameof(LotsVocabulary.SpaceTypes))] string? SpaceType,
    [property: Required, Description("An ISO 8601 date-time with an offset, e.g. 2026-03-01T09:00:00+01:00.")] DateTimeOffset? Start,
    [property: Required, Description("An ISO 8601 date-time with an offset, e.g. 2026-03-01T09:00:00+01:00.")] DateTimeOffset? End,
    string? Plate);

public sealed record ExtensionRequest(
    [property: Required, Description("The new end: an ISO 8601 date-time with an offset, e.g. 2026-03-01T09:00:00+01:00.")] DateTimeOffset? End);

/// <summary>What an extension to <paramref name="End"/> adds to the reservation's price (charged when done, or with the held booking's payment).</summary>
public sealed record ExtensionQuote(DateTimeOffset End, decimal Extra, string Currency);

public sealed record ReservationResponse(
    Guid Id, Guid LotId, Guid SpaceId, string SpaceLabel, string SpaceType, string? Plate,
    DateTimeOffset Start, DateTimeOffset End, string Status, decimal Price, string Currency,
    DateTimeOffset? HoldExpiresAt, DateTimeOffset? CheckedInAt, DateTimeOffset? CheckedOutAt, DateTimeOffset? CancelledAt,
    int OverstayMinutesCharged, DateTimeOffset CreatedAt);

public static class ReservationStatus
{
    public const string Held = "held";
    public const string Confirmed = "confirmed";
    public const string CheckedIn = "checked_in";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
    public const string NoShow = "no_show";

    public static readonly string[] All = [Held, Confirmed, CheckedIn, Completed, Cancelled, Expired, NoShow];
}

public sealed class ReservationRow
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public Guid LotId { get; init; }
    public Guid SpaceId { get; init; }
    public string SpaceLabel { get; init; } = "";
    public Guid? ZoneId { get; init; }
    public Guid DriverId { get; init; }
    public string SpaceType { get; init; } = "";
    public string? Plate { get; internal set; }
    /// <summary>The plate as stored, sealed; <see cref="Opened"/> fills <see cref="Plate"/> from it.</summary>
    internal byte[]? PlateEncrypted { get; init; }
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset End { get; init; }
    public string Status { get; init; } = "";
    public decimal Price { get; init; }
    public string Currency { get; init; } = "";
    public DateTimeOffset? HoldExpiresAt { get; init; }
    public DateTimeOffset? CheckedInAt { get; init; }
    public DateTimeOffset? CheckedOutAt { get; init; }
    public DateTimeOffset? CancelledAt { get; init; }
    public bool NoShowFeeCharged { get; init; }
    public int OverstayMinutesCharged { get; init; }
    public int? OverstayMinutesBilling { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The row with its plate opened (a row the encryption sweep has not reached keeps its clear plate).</summary>
    internal ReservationRow Opened(FieldProtector protector)
    {
        Plate = protector.Reveal(PlateEncrypted, Plate, ReservationFields.Plate);
        return this;
    }

    public ReservationFacts ToFacts() => new(Id, TenantId, DriverId, LotId, SpaceId, SpaceLabel, SpaceType, Start, End, Status, Price, Currency.Trim());

    public ReservationResponse ToResponse() => new(Id, LotId, SpaceId, SpaceLabel, SpaceType, Plate, Start, End, Status, Price, Currency.Trim(),
        HoldExpiresAt, CheckedInAt, CheckedOutAt, CancelledAt, OverstayMinutesCharged, CreatedAt);
}
