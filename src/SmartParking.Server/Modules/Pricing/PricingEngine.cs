using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Platform;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Pricing;

/// <summary>Why the demand rate moved (or did not) in a recompute.</summary>
public static class PricingRules
{
    public const string AboveBand = "above_band";
    public const string BelowBand = "below_band";
    public const string InBand = "in_band";
    public const string NoOccupancy = "no_occupancy";
}

public sealed record DemandStep(decimal Rate, string Rule);

/// <summary>The time bands a unit keeps a demand rate for.</summary>
public static class PricingPeriods
{
    public const string Peak = "peak";
    public const string OffPeak = "off_peak";

    public static string Of(bool peak) => peak ? Peak : OffPeak;
}

/// <summary>
/// A unit's demand rates, one per time band, as SFpark kept a rate per time of day: a recompute steps only the band it
/// runs in, from that band's occupancy, so an empty night cheapens nights and leaves the busy day's price where the
/// day's own occupancy put it.
/// </summary>
public sealed record DemandRates(decimal Peak, decimal OffPeak)
{
    public static DemandRates Both(decimal rate) => new(rate, rate);

    public decimal For(bool peak) => peak ? Peak : OffPeak;

    public DemandRates With(bool peak, decimal rate) => peak ? this with { Peak = rate } : this with { OffPeak = rate };

    /// <summary>Both bands moved by one factor (a new base rate, a variant's base), each held by <paramref name="bound"/>.</summary>
    public DemandRates Scaled(decimal factor, Func<decimal, decimal> bound) => new(bound(Peak * factor), bound(OffPeak * factor));
}

/// <summary>One stretch of a stay priced at one rate.</summary>
public sealed record QuoteSegment(DateTimeOffset From, DateTimeOffset To, string Period, string? Event, decimal TimeMultiplier, decimal EventMultiplier,
    decimal TypeMultiplier, decimal RatePerHour, decimal Amount);

/// <summary>
/// The pricing rules as pure functions, so each can be tested alone. A lot's price at an instant is the demand rate of
/// the instant's time band (moved by that band's occupancy, a step per recompute) times the time-of-day factor times the
/// strongest event surge there times the space type's factor, held between the floor and the cap and rounded to the
/// currency's step.
/// </summary>
public static class PricingEngine
{
    /// <summary>
    /// SFpark's rule: above the target band raise by a step, below it cut by a step, in it leave alone; one update never
    /// moves more than the policy's +/- limits, and the result stays between the floor and the cap.
    /// </summary>
    public static DemandStep NextDemandRate(LotFacts lot, PricingPolicy policy, decimal current, double? occupancy, double? forecast = null)
    {
        occupancy = Signal(policy, occupancy, forecast);
        var (target, rule) = occupancy switch
        {
            null => (current, PricingRules.NoOccupancy),
            double o when policy.IsAboveBand(o) => (current * (1 + policy.StepPercent / 100m), PricingRules.AboveBand),
            double o when policy.IsBelowBand(o) => (current * (1 - policy.StepPercent / 100m), PricingRules.BelowBand),
            _ => (current, PricingRules.InBand),
        };
        target = Math.Clamp(target, current * (1 - policy.MaxCutPercent / 100m), current * (1 + policy.MaxRaisePercent / 100m));
        return new DemandStep(Bound(lot, policy, target), rule);
    }

    /// <summary>
    /// The occupancy a step answers to: the live one blended with the forecast for the coming interval (by the policy's
    /// weight), so a lot about to fill is priced up before it is full. Either alone when the other is unknown.
    /// </summary>
    public static double? Signal(PricingPolicy policy, double? live, double? forecast)
    {
        if (forecast is null) return live;
        if (live is null) return forecast;
        var w = (double)policy.ForecastWeightPercent / 100;
        return live.Value * (1 - w) + forecast.Value * w;
    }

    /// <summary>Held between the floor and the cap, then rounded to the step (never rounded past the cap).</summary>
    public static decimal Bound(LotFacts lot, PricingPolicy policy, decimal rate)
    {
        var bounded = Math.Clamp(rate, policy.FloorFor(lot), Math.Max(policy.FloorFor(lot), policy.CeilingFor(lot)));
        var step = policy.StepFor(lot.Currency);
        var rounded = Math.Round(bounded / step, MidpointRounding.AwayFromZero) * step;
        return rounded > policy.CeilingFor(lot) && rounded - step >= policy.FloorFor(lot) ? rounded - step : rounded;
    }

    public static bool IsPeak(DateTimeOffset at, TimeZoneInfo zone, PricingPolicy policy)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var day = LotsVocabulary.Days[((int)local.DayOfWeek + 6) % 7];
        return policy.Days.Contains(day) && local.TimeOfDay >= policy.PeakStartTime && local.TimeOfDay < policy.PeakEndTime;
    }

    /// <summary>The strongest surge of the events covering the lot at that instant (1 when none), at most the policy's maximum.</summary>
    public static (decimal Multiplier, PricingEvent? Event) Surge(LotFacts lot, PricingPolicy policy, IReadOnlyList<PricingEvent> events, DateTimeOffset at)
    {
        var strongest = events.Where(e => e.StartsAt <= at && at < e.EndsAt && Covers(e, lot)).MaxBy(e => e.Multiplier);
        return strongest is null ? (1m, null) : (Math.Min(strongest.Multiplier, policy.MaxSurge), strongest);
    }

    public static bool Covers(PricingEvent e, LotFacts lot) => Geo.DistanceMeters(e.Latitude, e.Longitude, lot.Latitude, lot.Longitude) <= e.RadiusMeters;

    /// <summary>The hourly rate at an instant, given the current demand rate; for a space type, with its factor.</summary>
    public static bool IsPeak(LotFacts lot, PricingPolicy policy, DateTimeOffset at) => IsPeak(at, TimeZoneInfo.FindSystemTimeZoneById(lot.TimeZone), policy);

    public static (decimal Rate, decimal TimeMultiplier, decimal EventMultiplier, PricingEvent? Event) RateAt(
        LotFacts lot, PricingPolicy policy, IReadOnlyList<PricingEvent> events, DemandRates demand, DateTimeOffset at, string? spaceType = null) =>
        RateAt(lot, TimeZoneInfo.FindSystemTimeZoneById(lot.TimeZone), policy, events, demand, at, spaceType);

    private static (decimal Rate, decimal TimeMultiplier, decimal EventMultiplier, PricingEvent? Event) RateAt(
        LotFacts lot, TimeZoneInfo zone, PricingPolicy policy, IReadOnlyList<PricingEvent> events, DemandRates demand, DateTimeOffset at, string? spaceType)
    {
        var peak = IsPeak(at, zone, policy);
        var time = peak ? policy.PeakMultiplier : policy.OffPeakMultiplier;
        var (surge, e) = Surge(lot, policy, events, at);
        return (Bound(lot, policy, demand.For(peak) * time * surge * policy.TypeMultiplier(spaceType)), time, surge, e);
    }

    /// <summary>
    /// A stay cut where the price can change (peak hours starting or ending in the lot's time zone, events starting or
    /// ending) and each piece priced at its rate; amounts are exact to the second, rounded to the currency's step.
    /// </summary>
    public static IReadOnlyList<QuoteSegment> Segments(LotFacts lot, PricingPolicy policy, IReadOnlyList<PricingEvent> events, DemandRates demand,
        DateTimeOffset start, DateTimeOffset end, string? spaceType = null)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(lot.TimeZone);
        var cuts = new SortedSet<DateTimeOffset> { start, end };
        for (var day = start.LocalDay(zone).AddDays(-1); day <= end.LocalDay(zone); day = day.AddDays(1))
        {
            cuts.Add(Instants.AtLocal(day, policy.PeakStartTime, zone));
            cuts.Add(Instants.AtLocal(day, policy.PeakEndTime, zone));
            cuts.Add(Instants.AtLocal(day, TimeSpan.Zero, zone)); // day-of-week changes at local midnight
        }
        foreach (var e in events.Where(e => Covers(e, lot)))
        {
            cuts.Add(e.StartsAt);
            cuts.Add(e.EndsAt);
        }
        var points = cuts.Where(c => c >= start && c <= end).ToList();
        var step = policy.StepFor(lot.Currency);
        var segments = new List<QuoteSegment>();
        for (var i = 0; i + 1 < points.Count; i++)
        {
            var (from, to) = (points[i], points[i + 1]);
            var (rate, time, surge, e) = RateAt(lot, zone, policy, events, demand, from, spaceType);
            var hours = (decimal)(to - from).TotalSeconds / 3600m;
            var period = IsPeak(from, zone, policy) ? "peak" : "off_peak";
            var last = segments.Count > 0 ? segments[^1] : null;
            // Neighbours at the same rate (a midnight between two off-peak stretches) read better as one.
            if (last is not null && last.RatePerHour == rate && last.Period == period && last.Event == e?.Name)
                segments[^1] = last with { To = to, Amount = RoundTo(rate * (decimal)(to - last.From).TotalSeconds / 3600m, step) };
            else
                segments.Add(new QuoteSegment(from, to, period, e?.Name, time, surge, policy.TypeMultiplier(spaceType), rate, RoundTo(rate * hours, step)));
        }
        return segments;
    }

    public static decimal RoundTo(decimal amount, decimal step) => Math.Round(amount / step, MidpointRounding.AwayFromZero) * step;
}
