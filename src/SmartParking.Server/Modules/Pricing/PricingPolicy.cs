using System.Globalization;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform.Errors;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>
/// An operator's pricing rules for a lot. Percentages are whole percent; multipliers are factors; times are local to
/// the lot. A null base rate means the lot's own base hourly rate; a null rounding step means the currency's minor unit.
/// Type multipliers price space types apart (an EV bay dearer, a motorcycle bay cheaper); types not named pay 1x.
/// </summary>
public sealed record PricingPolicy(
    decimal? BaseRate = null,
    decimal BandLowPercent = 60, decimal BandHighPercent = 85, decimal StepPercent = 10,
    decimal MaxRaisePercent = 50, decimal MaxCutPercent = 20, decimal CapMultiple = 3, decimal? Floor = null,
    string[]? PeakDays = null, string PeakStart = "07:00", string PeakEnd = "19:00",
    decimal PeakMultiplier = 1.0m, decimal OffPeakMultiplier = 0.6m, decimal MaxSurge = 2.0m, decimal? RoundingStep = null,
    decimal ForecastWeightPercent = 50, IReadOnlyDictionary<string, decimal>? TypeMultipliers = null)
{
    public static readonly string[] Weekdays = ["mon", "tue", "wed", "thu", "fri"];

    public static PricingPolicy Default { get; } = new();

    public IReadOnlyList<string> Days => PeakDays ?? Weekdays;

    public TimeSpan PeakStartTime => Time(PeakStart);

    public TimeSpan PeakEndTime => Time(PeakEnd);

    public bool IsAboveBand(double occupancy) => occupancy * 100 > (double)BandHighPercent;

    public bool IsBelowBand(double occupancy) => occupancy * 100 < (double)BandLowPercent;

    public bool IsInBand(double occupancy) => !IsAboveBand(occupancy) && !IsBelowBand(occupancy);

    public decimal TypeMultiplier(string? spaceType) =>
        spaceType is not null && TypeMultipliers is not null && TypeMultipliers.TryGetValue(spaceType, out var m) ? m : 1m;

    public decimal BaseFor(LotFacts lot) => BaseRate ?? lot.BaseHourlyRate;

    /// <summary>
    /// Without an operator's floor, half the base rate: the pricing simulation showed that with no floor nightly cuts
    /// drive an empty lot towards free, and the morning rush then meets a near-free lot for hours.
    /// </summary>
    public decimal FloorFor(LotFacts lot) => Floor ?? Math.Round(BaseFor(lot) / 2, 2);

    public decimal CeilingFor(LotFacts lot) => BaseFor(lot) * CapMultiple;

    /// <summary>The currency's minor unit unless the operator set a coarser step (0.50 DKK, 1 JPY…).</summary>
    public decimal StepFor(string currency) => RoundingStep ?? MinorUnit(currency);

    public static decimal MinorUnit(string currency)
    {
        var digits = currency switch { "JPY" or "KRW" or "ISK" or "CLP" or "VND" => 0, "BHD" or "KWD" or "OMR" or "JOD" or "TND" => 3, _ => 2 };
        return 1m / (decimal)Math.Pow(10, digits);
    }

    public void Validate()
    {
        var v = new Validation()
            .Check(BaseRate is null or (>= 0 and <= 10_000), "baseRate", "must be between 0 and 10000.")
            .Check(BandLowPercent is >= 0 and <= 100, "bandLowPercent", "must be between 0 and 100.")
            .Check(BandHighPercent is >= 0 and <= 100 && BandHighPercent > BandLowPercent, "bandHighPercent", "must be between bandLowPercent and 100.")
            .Check(StepPercent is > 0 and <= 100, "stepPercent", "must be more than 0 and at most 100.")
            .Check(MaxRaisePercent is >= 0 and <= 50, "maxRaisePercent", "must be between 0 and 50 (one update moves a price at most +50%).")
            .Check(MaxCutPercent is >= 0 and <= 20, "maxCutPercent", "must be between 0 and 20 (one update moves a price at most -20%).")
            .Check(CapMultiple is >= 1 and <= 3, "capMultiple", "must be between 1 and 3 (never beyond 3x base).")
            .Check(Floor is null or >= 0, "floor", "must be 0 or more.")
            .Check(PeakDays is null || PeakDays.All(d => LotsVocabulary.Days.Contains(d)), "peakDays", $"must be among {string.Join(", ", LotsVocabulary.Days)}.")
            .Check(TryTime(PeakStart) is not null, "peakStart", "must be a time HH:mm.")
            .Check(TryTime(PeakEnd) is { } end && TryTime(PeakStart) is { } start && end > start, "peakEnd", "must be a time HH:mm (24:00 for midnight) after peakStart.")
            .Check(PeakMultiplier is > 0 and <= 3, "peakMultiplier", "must be more than 0 and at most 3.")
            .Check(OffPeakMultiplier is > 0 and <= 3, "offPeakMultiplier", "must be more than 0 and at most 3.")
            .Check(MaxSurge is >= 1 and <= 2, "maxSurge", "must be between 1 and 2.")
            .Check(RoundingStep is null or (> 0 and <= 100), "roundingStep", "must be more than 0 and at most 100.")
            .Check(ForecastWeightPercent is >= 0 and <= 100, "forecastWeightPercent", "must be between 0 and 100.")
            .Check(TypeMultipliers is null || TypeMultipliers.Keys.All(t => LotsVocabulary.SpaceTypes.Contains(t)), "typeMultipliers",
                $"keys must be space types ({string.Join(", ", LotsVocabulary.SpaceTypes)}).")
            .Check(TypeMultipliers is null || TypeMultipliers.Values.All(m => m is > 0 and <= 3), "typeMultipliers", "values must be more than 0 and at most 3.");
        if (Floor is { } floor && BaseRate is { } rate) v.Check(floor <= rate * CapMultiple, "floor", "must not be above the cap (capMultiple x baseRate).");
        v.ThrowIfInvalid();
    }

    private static TimeSpan Time(string value) => TryTime(value) ?? throw new InvalidOperationException($"Invalid time '{value}'.");

    private static TimeSpan? TryTime(string? value) =>
        value == "24:00" ? TimeSpan.FromHours(24)
        : TimeSpan.TryParseExact(value, @"hh\:mm", CultureInfo.InvariantCulture, out var t) ? t : null;
}

/// <summary>A declared event (concert, match, market) raising prices in an area for a window.</summary>
public sealed record PricingEvent(Guid Id, string Name, DateTimeOffset StartsAt, DateTimeOffset EndsAt, decimal Multiplier, double Latitude, double Longitude, double RadiusMeters);
