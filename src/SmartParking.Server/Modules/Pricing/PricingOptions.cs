using System.ComponentModel.DataAnnotations;

namespace SmartParking.Server.Modules.Pricing;

public sealed class PricingOptions
{
    public const string Section = "Pricing";

    /// <summary>How often every lot's demand rate is recomputed from its occupancy.</summary>
    [Range(0.01, 1440)] public double RecomputeMinutes { get; set; } = 5;

    /// <summary>Off: prices stay where they are (base rates, or the last recompute) until switched on again.</summary>
    public bool Scheduled { get; set; } = true;
}
