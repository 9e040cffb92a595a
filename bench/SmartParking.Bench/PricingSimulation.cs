using System.Globalization;
using System.Text;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Pricing;

namespace SmartParking.Bench;

internal sealed record SimSettings(string? DataPath, double Elasticity, decimal BaseRate, int Days, int ReportDays, double PeakDemand, double StayHours,
    decimal StepPercent, decimal? Floor)
{
    /// <summary>Floor null means half the base rate (for the tuned engine; the default policy has none).</summary>
    public static SimSettings Default { get; } = new(null, -0.4, 20m, 5, 3, 1.3, 2.0, 20m, null);

    public string? Invalid() =>
        Elasticity is > 0 or < -3 ? "--elasticity must be between -3 and 0"
        : BaseRate is <= 0 or > 10_000 ? "--base-rate must be more than 0 and at most 10000"
        : Days < 1 || ReportDays < 1 || ReportDays > Days ? "need 1 ≤ --report-days ≤ --days"
        : PeakDemand is <= 0 or > 5 ? "--peak-demand must be more than 0 and at most 5"
        : StayHours is < 0.25 or > 24 ? "--stay-hours must be between 0.25 and 24"
        : StepPercent is <= 0 or > 100 ? "--step-percent must be more than 0 and at most 100"
        : Floor is { } f && (f < 0 || f > BaseRate * 3) ? "--floor must be between 0 and 3 × --base-rate" : null;
}

internal enum PriceKind { Static, TimeOfDay, Engine }

/// <summary>One pricing regime: static base rate, the policy's time-of-day multipliers only, or the engine's demand steps plus time of day.</summary>
internal sealed record SimPolicy(string Name, PriceKind Kind, PricingPolicy Policy);

/// <summary>Figures over the reported days; space-hours and drivers in absolute numbers, not shares.</summary>
internal sealed record SimTotals(double InBandHours, double AboveHours, decimal Revenue, double TurnedAway, double Arrivals, double OccupiedSpaceHours)
{
    public static SimTotals Zero { get; } = new(0, 0, 0m, 0, 0, 0);

    public decimal MeanPricePaid => OccupiedSpaceHours > 0 ? Revenue / (decimal)OccupiedSpaceHours : 0m;

    public SimTotals Plus(SimTotals o) => new(InBandHours + o.InBandHours, AboveHours + o.AboveHours, Revenue + o.Revenue, TurnedAway + o.TurnedAway,
        Arrivals + o.Arrivals, OccupiedSpaceHours + o.OccupiedSpaceHours);
}

/// <summary>
/// Replays a garage's typical weekday as a stock-and-flow model in 5-minute ticks (the scheduler's default recompute
/// period) and prices it with the engine's pure functions, so the comparison needs no server and is deterministic.
/// </summary>
internal static class PricingSimulation
{
    private const int TickMinutes = 5;
    private const int TicksPerDay = 24 * 60 / TickMinutes;
    private const double TickHours = TickMinutes / 60.0;
    // Constant elasticity is only credible near the observed prices: a free garage does not draw unlimited drivers, so
    // prices under a quarter of base count as a quarter of base (at most 1.74× demand with ε = -0.4).
    private const double MinPriceRatio = 0.25;
    // A week without a daylight-saving change, inside the data's period (Monday 1 September 2014).
    private static readonly DateTime FirstDay = new(2014, 9, 1, 0, 0, 0, DateTimeKind.Unspecified);
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Copenhagen");

    /// <summary>The server's default policy as shipped, and one tuned by the options, so one run shows both.</summary>
    public static IReadOnlyList<SimPolicy> Policies(SimSettings s)
    {
        var basePolicy = PricingPolicy.Default with { BaseRate = s.BaseRate };
        var tuned = basePolicy with { StepPercent = s.StepPercent, Floor = s.Floor ?? s.BaseRate / 2 };
        return
        [
            new("static", PriceKind.Static, basePolicy),
            new("time of day", PriceKind.TimeOfDay, basePolicy),
            new("engine, default policy", PriceKind.Engine, basePolicy),
            new(string.Create(CultureInfo.InvariantCulture, $"engine, step {tuned.StepPercent} % floor {tuned.Floor}"), PriceKind.Engine, tuned),
        ];
    }

    /// <summary>
    /// The base-price flows that reproduce the desired occupancy d exactly when nothing limits it: each tick a share μ of
    /// the parked cars leaves (1 / average stay, or more when the shape falls faster) and arrivals make up the rest.
    /// </summary>
    public static (double[] Desired, double[] Leave, double[] Arrive) Flows(GarageShape g, SimSettings s)
    {
        var desired = new double[TicksPerDay];
        for (var i = 0; i < TicksPerDay; i++)
        {
            // Linear between slot centres, wrapping round midnight.
            var x = (i * TickMinutes - 7.5) / 15.0;
            var k = (int)Math.Floor(x);
            var frac = x - k;
            var a = g.Slots[(k % AarhusShapes.SlotsPerDay + AarhusShapes.SlotsPerDay) % AarhusShapes.SlotsPerDay];
            var b = g.Slots[((k + 1) % AarhusShapes.SlotsPerDay + AarhusShapes.SlotsPerDay) % AarhusShapes.SlotsPerDay];
            desired[i] = (a + (b - a) * frac) / g.Peak * s.PeakDemand;
        }
        var baseLeave = TickHours / s.StayHours;
        var leave = new double[TicksPerDay];
        var arrive = new double[TicksPerDay];
        for (var i = 0; i < TicksPerDay; i++)
        {
            var (now, next) = (desired[i], desired[(i + 1) % TicksPerDay]);
            leave[i] = now > 0 ? Math.Max(baseLeave, (now - next) / now) : baseLeave;
            arrive[i] = Math.Max(0, next - now * (1 - leave[i]));
        }
        return (desired, leave, arrive);
    }

    public static SimTotals Run(GarageShape g, SimSettings s, SimPolicy p)
    {
        var (desired, leave, arrive) = Flows(g, s);
        var lot = new LotFacts(Guid.Empty, Guid.Empty, g.Code, "garage", Zone.Id, [], s.BaseRate, "DKK", 56.15, 10.2);
        var band = ((double)p.Policy.BandLowPercent / 100, (double)p.Policy.BandHighPercent / 100);
        var occupied = Math.Min(1, desired[0]);
        var demand = DemandRates.Both(p.Policy.BaseFor(lot));
        var totals = SimTotals.Zero;
        for (var tick = 0; tick < s.Days * TicksPerDay; tick++)
        {
            var i = tick % TicksPerDay;
            var local = FirstDay.AddMinutes(tick * TickMinutes);
            var at = new DateTimeOffset(local, Zone.GetUtcOffset(local));
            // The engine sees the occupancy just observed, as the scheduler does every 5 minutes, and steps the band it is in.
            if (p.Kind == PriceKind.Engine)
            {
                var peak = PricingEngine.IsPeak(lot, p.Policy, at);
                demand = demand.With(peak, PricingEngine.NextDemandRate(lot, p.Policy, demand.For(peak), occupied).Rate);
            }
            var price = p.Kind == PriceKind.Static ? s.BaseRate : PricingEngine.RateAt(lot, p.Policy, [], demand, at).Rate;

            var factor = Math.Pow(Math.Max((double)(price / s.BaseRate), MinPriceRatio), s.Elasticity);
            var arrivals = arrive[i] * factor;
            var staying = occupied * (1 - leave[i]);
            var admitted = Math.Min(arrivals, Math.Max(0, 1 - staying));
            if (tick >= (s.Days - s.ReportDays) * TicksPerDay)
            {
                totals = totals.Plus(new SimTotals(
                    occupied >= band.Item1 && occupied <= band.Item2 ? TickHours : 0,
                    occupied > band.Item2 ? TickHours : 0,
                    (decimal)(occupied * g.Capacity * TickHours) * price,
                    (arrivals - admitted) * g.Capacity,
                    arrivals * g.Capacity,
                    occupied * g.Capacity * TickHours));
            }
            occupied = staying + admitted;
        }
        return totals;
    }

    /// <summary>Runs every policy on every usable garage, prints the tables and adds the headline rows to the summary.</summary>
    public static bool RunInto(SimSettings s, Report report, TextWriter output)
    {
        var path = s.DataPath ?? AarhusShapes.DefaultPath();
        if (!File.Exists(path))
        {
            output.WriteLine($"Pricing simulation skipped: no data at {path} (use --data).");
            report.Note($"Pricing simulation skipped: no data at {path}.");
            return false;
        }
        var (garages, skipped) = AarhusShapes.Load(path);
        var policies = Policies(s);
        var results = garages.ToDictionary(g => g.Code, g => policies.Select(p => Run(g, s, p)).ToArray());
        var sums = policies.Select((_, k) => garages.Aggregate(SimTotals.Zero, (acc, g) => acc.Plus(results[g.Code][k]))).ToArray();
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var bandText = $"{policies[0].Policy.BandLowPercent}–{policies[0].Policy.BandHighPercent} %";

        text.AppendLine(inv, $"Data: {path}");
        text.AppendLine(inv, $"Garages used: {string.Join(", ", garages.Select(g => string.Create(inv, $"{g.Code} ({g.Capacity} spaces, observed weekday peak {g.Peak:P0}, {g.Weekdays} weekdays)")))}");
        if (skipped.Count > 0) text.AppendLine(inv, $"Skipped: {string.Join("; ", skipped)}");
        text.AppendLine(inv, $"Model: {s.Days} weekdays replayed from Mon {FirstDay:yyyy-MM-dd} (Europe/Copenhagen), last {s.ReportDays} reported; 5-minute ticks; demand peak {s.PeakDemand:0.##}× capacity at base DKK {s.BaseRate}/h; elasticity {s.Elasticity:0.##}; average stay {s.StayHours:0.##} h.");
        text.AppendLine();
        text.AppendLine(inv, $"All garages, {s.ReportDays} days × {garages.Count} garages = {s.ReportDays * 24 * garages.Count} garage-hours:");
        text.AppendLine();
        text.AppendLine(inv, $"| policy | hours in band ({bandText}) | hours above band | revenue (DKK) | turned away (drivers) | arrivals wanting a space | mean price paid (DKK/h) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        for (var k = 0; k < policies.Count; k++)
        {
            var t = sums[k];
            text.AppendLine(inv, $"| {policies[k].Name} | {t.InBandHours:F1} | {t.AboveHours:F1} | {t.Revenue:N0} | {t.TurnedAway:N0} | {t.Arrivals:N0} | {t.MeanPricePaid:F2} |");
        }
        text.AppendLine();
        for (var k = 1; k < policies.Count; k++)
            text.AppendLine(inv, $"{policies[k].Name} / static: hours in band {Ratio(sums[k].InBandHours, sums[0].InBandHours)}, hours above band {Ratio(sums[k].AboveHours, sums[0].AboveHours)}, " +
                $"revenue {Ratio((double)sums[k].Revenue, (double)sums[0].Revenue)}, turned away {Ratio(sums[k].TurnedAway, sums[0].TurnedAway)}, mean price {Ratio((double)sums[k].MeanPricePaid, (double)sums[0].MeanPricePaid)}");
        text.AppendLine();
        text.AppendLine("Per garage (hours in band / above band, revenue DKK, turned away, mean price paid DKK/h):");
        text.AppendLine();
        text.AppendLine("| garage | spaces | " + string.Join(" | ", policies.Select(p => p.Name)) + " |");
        text.AppendLine("|---|---:|" + string.Concat(policies.Select(_ => "---|")));
        foreach (var g in garages)
        {
            var cells = results[g.Code].Select(t => string.Create(inv, $"{t.InBandHours:F1} / {t.AboveHours:F1} h, {t.Revenue:N0}, {t.TurnedAway:N0}, {t.MeanPricePaid:F2}"));
            text.AppendLine(inv, $"| {g.Code} | {g.Capacity} | {string.Join(" | ", cells)} |");
        }
        output.Write(text.ToString());

        const string bench = "pricing-sim";
        for (var k = 0; k < policies.Count; k++)
        {
            var engine = policies[k].Kind == PriceKind.Engine;
            report.Add(bench, $"hours in band, {policies[k].Name}", sums[k].InBandHours, "h", engine ? sums[0].InBandHours : null, note: engine ? "target: static's hours" : "");
        }
        foreach (var k in Enumerable.Range(0, policies.Count).Where(k => policies[k].Kind == PriceKind.Engine))
        {
            report.Add(bench, $"turned away, {policies[k].Name}", sums[k].TurnedAway, "drivers", sums[0].TurnedAway, Better.Lower, "target: static's count");
            report.Add(bench, $"revenue, {policies[k].Name}", (double)sums[k].Revenue, "DKK",
                note: string.Create(inv, $"static {sums[0].Revenue:N0} DKK ({Ratio((double)sums[k].Revenue, (double)sums[0].Revenue)}); mean price paid {sums[k].MeanPricePaid:F2} DKK/h"));
        }
        report.Note($"Pricing simulation: {garages.Count} Aarhus garages, {s.ReportDays} replayed weekdays each, elasticity {s.Elasticity.ToString("0.##", inv)}; hours summed over garages.");
        return true;
    }

    private static string Ratio(double a, double b) => b == 0 ? "n/a" : (a / b).ToString("F2", CultureInfo.InvariantCulture) + "×";
}
