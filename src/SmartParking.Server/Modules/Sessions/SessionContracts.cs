using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SmartParking.Server.Platform.Protection;
namespace SmartParking.Server.Modules.Sessions;

public sealed record StartSessionRequest(
    [property: Required] Guid? LotId,
    Guid? ZoneId,
    [property: Required] string? Plate,
    [property: Required, Description("1 to 10080, within the lot's or zone's maximum stay.")] int? DurationMinutes);

public sealed record ExtendSessionRequest(
    [property: Required, Description("1 to 10080, within the maximum stay.")] int? AddMinutes);

public sealed record SessionResponse(
    Guid Id, Guid LotId, Guid? ZoneId, string Plate, DateTimeOffset StartedAt, DateTimeOffset EndsAt, DateTimeOffset? StoppedAt, string Status,
    decimal RatePerHour, string Currency, int MaxStayMinutes, decimal? Amount);

/// <summary>What enforcement sees for a plate: paid now or not, and by what.</summary>
public sealed record PlateCheck(string Plate, bool Paid, string? PaidBy, Guid? Id, Guid? LotId, DateTimeOffset? Until);

public sealed class SessionRow
{
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public Guid LotId { get; init; }
    public Guid? ZoneId { get; init; }
    public Guid DriverId { get; init; }
    public string Plate { get; internal set; } = "";
    /// <summary>The plate as stored, sealed; <see cref="Opened"/> fills <see cref="Plate"/> from it.</summary>
    internal byte[]? PlateEncrypted { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }
    public string Status { get; init; } = "";
    public decimal RatePerHour { get; init; }
    public string Currency { get; init; } = "";
    public int MaxStayMinutes { get; init; }
    public decimal? Amount { get; init; }
    public bool Charged { get; init; }

    /// <summary>The row with its plate opened (a row the encryption sweep has not reached keeps its clear plate).</summary>
    internal SessionRow Opened(FieldProtector protector)
    {
        Plate = protector.Reveal(PlateEncrypted, Plate, SessionFields.Plate) ?? "";
        return this;
    }

    public SessionFacts ToFacts() => new(Id, TenantId, DriverId, LotId, ZoneId, Plate, StartedAt, EndsAt, RatePerHour, Currency.Trim());

    public SessionResponse ToResponse() => new(Id, LotId, ZoneId, Plate, StartedAt, EndsAt, StoppedAt, Status, RatePerHour, Currency.Trim(), MaxStayMinutes, Amount);
}
