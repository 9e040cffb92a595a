using System.Globalization;
using SmartParking.Server.Modules.Lots.Zones;
using SmartParking.Server.Platform.Time;

namespace SmartParking.Server.Modules.Lots;

/// <summary>The kinds of restriction a zone or lot may have in a time window.</summary>
public static class ZoneRuleKinds
{
    /// <summary>Anyone may park, for at most the rule's maximum stay inside the window.</summary>
    public const string MaxStay = "max_stay";

    /// <summary>Only loading vehicles (reservations of a <c>loading</c> space), for at most the maximum stay when one is set.</summary>
    public const string Loading = "loading";

    /// <summary>Nobody may park in the window.</summary>
    public const string NoParking = "no_parking";

    public static readonly string[] All = [MaxStay, Loading, NoParking];

    /// <summary>The space type of loading bays: a stay there is a loading vehicle's.</summary>
    public const string LoadingSpaceType = "loading";
}

/// <summary>
/// One restriction as cities post it: a kind, the days of the week its window starts on, and the window in the lot's
/// local time. <see cref="From"/> and <see cref="To"/> are <c>HH:mm</c>; <c>00:00</c>–<c>24:00</c> is the whole day, and
/// a <see cref="To"/> before <see cref="From"/> runs overnight into the next day.
/// </summary>
public sealed record ZoneRule(string Kind, IReadOnlyList<string> Days, string From, string To, int? MaxStayMinutes)
{
    /// <summary>The rule in the compact notation cities publish, e.g. "2P Mon–Fri 07:30–18:30".</summary>
    public string Text => ZoneRuleNotation.Describe(this);

    internal int FromMinute => ZoneRuleNotation.Minutes(From)!.Value;
    internal int ToMinute => ZoneRuleNotation.Minutes(To)!.Value;
    internal bool AllDay => FromMinute == 0 && ToMinute == ZoneRuleNotation.MinutesPerDay;
}

/// <summary>A zone's rules (<see cref="ZoneId"/> set) or the lot's own, which apply to every space of the lot.</summary>
public sealed record ZoneRuleGroup(Guid? ZoneId, string? ZoneCode, string? ZoneName, IReadOnlyList<ZoneRule> Rules);

/// <summary>One rule as an operator sends it: the structured fields, or <see cref="Text"/> in the cities' notation instead.</summary>
public sealed record ZoneRuleInput(string? Text, string? Kind, IReadOnlyList<string>? Days, string? From, string? To, int? MaxStayMinutes);

public sealed record ZoneRulesRequest(IReadOnlyList<ZoneRuleInput>? Rules);

public sealed record ZoneRulesResponse(Guid LotId, Guid? ZoneId, string TimeZone, IReadOnlyList<ZoneRule> Rules);

/// <summary>Why a stay may not happen where it was asked for: the rule it breaks and, for the driver, how.</summary>
public sealed record RuleBreach(ZoneRule Rule, string Detail);

/// <summary>
/// The rules that apply to one place (a space's zone plus its lot's own rules), read in the lot's time zone. A stay is
/// [start, end). Each rule's windows are laid on the calendar day by day in local time (so clock changes move them as
/// they move the signs), windows of one rule that touch are joined (a whole-week "2P" is one window, not seven), and:
/// <list type="bullet">
/// <item>the part of a stay inside one window of a <c>max_stay</c> or <c>loading</c> rule may be at most its maximum stay;</item>
/// <item>a stay may not overlap a window of a <c>no_parking</c> rule;</item>
/// <item>only a loading vehicle may overlap a window of a <c>loading</c> rule.</item>
/// </list>
/// </summary>
public sealed record PlaceRules(string TimeZone, IReadOnlyList<ZoneRule> Rules)
{
    /// <summary>Whether any rule limits how long one may stay (the meter's default limit applies where none does).</summary>
    public bool LimitsStay => Rules.Any(r => r.MaxStayMinutes is not null);

    /// <summary>The first rule [start, end) breaks, or null when the stay is allowed.</summary>
    public RuleBreach? Check(DateTimeOffset start, DateTimeOffset end, bool loadingVehicle)
    {
        if (end <= start) return null;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        foreach (var rule in Rules)
        {
            foreach (var (from, to) in Windows(rule, start, end, zone))
            {
                var inside = (to < end ? to : end) - (from > start ? from : start);
                if (inside <= TimeSpan.Zero) continue;
                var overlapStart = from > start ? from : start;
                var where = $"{rule.Text} ({TimeZone})";
                var when = $"from {Local(overlapStart, zone)}";
                if (rule.Kind == ZoneRuleKinds.NoParking || (rule.Kind == ZoneRuleKinds.Loading && !loadingVehicle))
                {
                    var who = rule.Kind == ZoneRuleKinds.NoParking ? "no parking" : "loading vehicles only";
                    return new RuleBreach(rule, $"{where}: {who} {Between(rule)}; this stay overlaps it {when}.");
                }
                if (rule.MaxStayMinutes is { } max && inside > TimeSpan.FromMinutes(max))
                    return new RuleBreach(rule, $"{where}: at most {Duration(TimeSpan.FromMinutes(max))} {Between(rule)}; this stay has {Duration(inside)} in it {when}.");
            }
        }
        return null;
    }

    /// <summary>
    /// The longest stay from <paramref name="start"/> the rules allow, at most <paramref name="ceiling"/>, in whole
    /// minutes. A longer stay only adds time inside windows, so the first minute that breaks a rule bounds the search.
    /// </summary>
    public int LongestStayMinutes(DateTimeOffset start, int ceiling, bool loadingVehicle)
    {
        var (allowed, refused) = (0, ceiling + 1);
        if (Check(start, start.AddMinutes(ceiling), loadingVehicle) is null) return ceiling;
        while (refused - allowed > 1)
        {
            var middle = (allowed + refused) / 2;
            if (Check(start, start.AddMinutes(middle), loadingVehicle) is null) allowed = middle; else refused = middle;
        }
        return allowed;
    }

    /// <summary>The rules with a window that overlaps [start, end), for showing a driver what applies to a stay.</summary>
    public IReadOnlyList<ZoneRule> ActiveDuring(DateTimeOffset start, DateTimeOffset end)
    {
        if (end <= start) return [];
        var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        return Rules.Where(r => Windows(r, start, end, zone).Any(w => w.From < end && w.To > start)).ToList();
    }

    /// <summary>The rule's windows near [start, end) as UTC intervals, those that touch joined.</summary>
    private static IEnumerable<(DateTimeOffset From, DateTimeOffset To)> Windows(ZoneRule rule, DateTimeOffset start, DateTimeOffset end, TimeZoneInfo zone)
    {
        if (start < Instants.Earliest) start = Instants.Earliest;
        if (end > Instants.Latest) end = Instants.Latest;
        (DateTimeOffset From, DateTimeOffset To)? open = null;
        // From the day before: an overnight window that started then may still run. To the day after: it may join on.
        for (var day = start.LocalDay(zone).AddDays(-1); day <= end.LocalDay(zone).AddDays(1); day = day.AddDays(1))
        {
            if (!rule.Days.Contains(LotsVocabulary.Days[((int)day.DayOfWeek + 6) % 7])) continue;
            var from = Instants.AtLocal(day, TimeSpan.FromMinutes(rule.FromMinute), zone);
            var to = rule.ToMinute > rule.FromMinute
                ? Instants.AtLocal(day, TimeSpan.FromMinutes(rule.ToMinute), zone)
                : Instants.AtLocal(day.AddDays(1), TimeSpan.FromMinutes(rule.ToMinute), zone);
            if (open is { } o && from <= o.To) open = (o.From, to > o.To ? to : o.To);
            else
            {
                if (open is { } done) yield return done;
                open = (from, to);
            }
        }
        if (open is { } last) yield return last;
    }

    private static string Between(ZoneRule rule) => rule.AllDay ? "at any time" : $"between {rule.From} and {rule.To}";

    private static string Local(DateTimeOffset t, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(t, zone).ToString("ddd d MMM HH:mm", CultureInfo.InvariantCulture);

    internal static string Duration(TimeSpan span)
    {
        var minutes = (int)Math.Ceiling(span.TotalMinutes);
        return minutes % 60 == 0 ? $"{minutes / 60} h" : minutes < 60 ? $"{minutes} min" : $"{minutes / 60} h {minutes % 60} min";
    }
}
