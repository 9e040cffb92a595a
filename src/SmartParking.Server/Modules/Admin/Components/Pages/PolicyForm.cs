using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Pricing;

namespace SmartParking.Server.Modules.Admin.Components.Pages;

/// <summary>A pricing policy as the editor's inputs hold it: every field optional text-box friendly, back to a record on save.</summary>
public sealed class PolicyForm
{
    public decimal? BaseRate { get; set; }
    public decimal BandLowPercent { get; set; }
    public decimal BandHighPercent { get; set; }
    public decimal StepPercent { get; set; }
    public decimal MaxRaisePercent { get; set; }
    public decimal MaxCutPercent { get; set; }
    public decimal CapMultiple { get; set; }
    public decimal? Floor { get; set; }
    public HashSet<string> PeakDays { get; set; } = [];
    public string PeakStart { get; set; } = "07:00";
    public string PeakEnd { get; set; } = "19:00";
    public decimal PeakMultiplier { get; set; }
    public decimal OffPeakMultiplier { get; set; }
    public decimal MaxSurge { get; set; }
    public decimal? RoundingStep { get; set; }
    public decimal ForecastWeightPercent { get; set; }
    /// <summary>Per space type; empty means 1 (priced like a standard space).</summary>
    public Dictionary<string, decimal?> TypeMultipliers { get; set; } = LotsVocabulary.SpaceTypes.ToDictionary(t => t, _ => (decimal?)null);

    public static PolicyForm From(PricingPolicy p) => new()
    {
        BaseRate = p.BaseRate,
        BandLowPercent = p.BandLowPercent,
        BandHighPercent = p.BandHighPercent,
        StepPercent = p.StepPercent,
        MaxRaisePercent = p.MaxRaisePercent,
        MaxCutPercent = p.MaxCutPercent,
        CapMultiple = p.CapMultiple,
        Floor = p.Floor,
        PeakDays = [.. p.Days],
        PeakStart = p.PeakStart,
        PeakEnd = p.PeakEnd,
        PeakMultiplier = p.PeakMultiplier,
        OffPeakMultiplier = p.OffPeakMultiplier,
        MaxSurge = p.MaxSurge,
        RoundingStep = p.RoundingStep,
        ForecastWeightPercent = p.ForecastWeightPercent,
        TypeMultipliers = LotsVocabulary.SpaceTypes.ToDictionary(t => t, t => p.TypeMultipliers is not null && p.TypeMultipliers.TryGetValue(t, out var m) ? m : (decimal?)null),
    };

    public PricingPolicy ToPolicy()
    {
        var types = TypeMultipliers.Where(t => t.Value is not null && t.Value != 1m).ToDictionary(t => t.Key, t => t.Value!.Value);
        return new PricingPolicy(BaseRate, BandLowPercent, BandHighPercent, StepPercent, MaxRaisePercent, MaxCutPercent, CapMultiple, Floor,
            LotsVocabulary.Days.Where(PeakDays.Contains).ToArray(), PeakStart, PeakEnd, PeakMultiplier, OffPeakMultiplier, MaxSurge, RoundingStep,
            ForecastWeightPercent, types.Count == 0 ? null : types);
    }
}
