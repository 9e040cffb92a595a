using System.Security.Cryptography;
using System.Text;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>What an experiment splits into control and variant groups.</summary>
public static class ExperimentUnits
{
    /// <summary>The tenant's lots: a treated lot runs the variant for everyone, and the scheduler moves its price by it.</summary>
    public const string Lots = "lots";

    /// <summary>Drivers: a treated driver is quoted by the variant at every lot of the tenant; lots keep one demand rate.</summary>
    public const string Drivers = "drivers";

    public static readonly string[] All = [Lots, Drivers];
}

public sealed record PricingExperiment(Guid Id, Guid TenantId, string Name, string Unit, PricingPolicy Variant, decimal Share, string Seed, DateTimeOffset StartsAt, DateTimeOffset EndsAt)
{
    /// <summary>
    /// Whether a lot (or driver) runs the variant: a hash of the seed and its id against the share. Random across units,
    /// yet the same unit always lands in the same group for the same seed, on every node and after every restart.
    /// </summary>
    public bool IsTreated(Guid unitId) => Assignment.IsTreated(Seed, Share, unitId);

    public bool IsRunning(DateTimeOffset at) => StartsAt <= at && at < EndsAt;
}

internal sealed class ExperimentRow
{
    public const string Select = "select id, tenant_id, name, unit, variant::text as variant, share, seed, starts_at, ends_at from pricing_experiments";
    public Guid Id { get; init; }
    public Guid TenantId { get; init; }
    public string Name { get; init; } = "";
    public string Unit { get; init; } = ExperimentUnits.Lots;
    public string Variant { get; init; } = "{}";
    public decimal Share { get; init; }
    public string Seed { get; init; } = "";
    public DateTimeOffset StartsAt { get; init; }
    public DateTimeOffset EndsAt { get; init; }

    public PricingExperiment ToExperiment() => new(Id, TenantId, Name, Unit, PricingService.Parse(Variant), Share, Seed, StartsAt, EndsAt);
}

public static class Assignment
{
    public static bool IsTreated(string seed, decimal share, Guid unit) => Draw(seed, unit) < (double)share;

    /// <summary>A number in [0, 1) fixed by the seed and the unit.</summary>
    public static double Draw(string seed, Guid unit)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{unit:N}"));
        return BitConverter.ToUInt64(hash, 0) / 18446744073709551616.0;
    }
}

/// <summary>A metric's mean per unit in a group, with a 95 % confidence interval (normal approximation).</summary>
public sealed record Estimate(int Units, double Mean, double Low, double High)
{
    public static Estimate Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return new Estimate(0, 0, 0, 0);
        var mean = values.Average();
        var half = values.Count < 2 ? 0 : 1.96 * StandardError(values);
        return new Estimate(values.Count, mean, mean - half, mean + half);
    }

    /// <summary>Treatment minus control, with Welch's standard error: the interval excluding 0 is the signal.</summary>
    public static Estimate Difference(IReadOnlyList<double> treatment, IReadOnlyList<double> control)
    {
        if (treatment.Count == 0 || control.Count == 0) return new Estimate(0, 0, 0, 0);
        var diff = treatment.Average() - control.Average();
        var se = Math.Sqrt(Variance(treatment) / treatment.Count + Variance(control) / control.Count);
        return new Estimate(treatment.Count + control.Count, diff, diff - 1.96 * se, diff + 1.96 * se);
    }

    private static double StandardError(IReadOnlyList<double> values) => Math.Sqrt(Variance(values) / values.Count);

    private static double Variance(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
    }
}
