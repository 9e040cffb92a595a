using System.Security.Cryptography;
using System.Text;

namespace SmartParking.Server.Modules.Pricing;

public sealed record PricingExperiment(Guid Id, Guid TenantId, string Name, PricingPolicy Variant, decimal Share, string Seed, DateTimeOffset StartsAt, DateTimeOffset EndsAt)
{
    /// <summary>
    /// Whether a lot runs the variant: a hash of the seed and the lot id against the share. Random across lots, yet the
    /// same lot always lands in the same group for the same seed, on every node and after every restart.
    /// </summary>
    public bool IsTreated(Guid lotId) => Assignment.IsTreated(Seed, Share, lotId);

    public bool IsRunning(DateTimeOffset at) => StartsAt <= at && at < EndsAt;
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
